// CST → AST: a Chevrotain visitor (checked by validateVisitor) building grammar/ast.ts nodes with Spans.
// Holes left by error recovery are skipped (a node missing a required part becomes undefined), never thrown.
import type { CstNode, IToken } from 'chevrotain';
import type * as cst from './cst.generated.d.ts';
import type * as ast from './ast.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { LineIndex } from './spans.ts';
import { defined, ExpressionBuilder, unescape, type Loc } from './to-ast-expressions.ts';

/** Builds the AST of one module from its (possibly recovered) CST. */
export function buildAst(
  root: CstNode | undefined,
  lines: LineIndex,
  docComments: IToken[],
  tokens: IToken[],
): { module: ast.Module; diagnostics: Diagnostic[] } {
  const builder = new AstBuilder(lines, attachDocs(docComments, tokens));
  const empty = { imports: [], definitions: [], experiments: [] };
  const parts = root === undefined ? empty : (builder.visit(root) as typeof empty);
  const span = lines.span(0, lines.text.length);
  const module: ast.Module = { kind: 'module', file: lines.file, ...parts, span };
  return { module, diagnostics: builder.diagnostics };
}

/** Maps the offset of the token after a run of `///` lines to their joined text (leading `/// ` stripped). */
function attachDocs(docComments: IToken[], tokens: IToken[]): Map<number, string> {
  const docs = new Map<number, string[]>();
  let next = 0;
  for (const doc of docComments) {
    while (next < tokens.length && tokens[next].startOffset < doc.startOffset) {
      next++;
    }
    const owner = tokens[next]?.startOffset ?? -1;
    const text = doc.image.replace(/^\/\/\/ ?/, '').trimEnd();
    docs.set(owner, [...(docs.get(owner) ?? []), text]);
  }
  return new Map([...docs].map(([offset, texts]) => [offset, texts.join('\n')]));
}

class AstBuilder extends ExpressionBuilder {
  constructor(
    lines: LineIndex,
    private readonly docs: Map<number, string>,
  ) {
    super(lines);
    this.validateVisitor();
  }

  // ---- module ----

  module(ctx: cst.ModuleCstChildren) {
    return {
      imports: defined((ctx.importDeclaration ?? []).map((n) => this.node<ast.Import>(n))),
      definitions: defined((ctx.definition ?? []).map((n) => this.node<ast.Definition>(n))),
      experiments: defined((ctx.experiment ?? []).map((n) => this.node<ast.Experiment>(n))),
    };
  }

  importDeclaration(ctx: cst.ImportDeclarationCstChildren, loc: Loc): ast.Import | undefined {
    const span = this.span(loc);
    const names = defined((ctx.importedName ?? []).map((token) => this.ident(token)));
    const literal = ctx.StringLiteral?.[0];
    const parts = (ctx.pathPart ?? []).map((token) => token.image);
    const path = literal ? unescape(literal.image) : parts.join('/');
    if (span === undefined || path === '') {
      return undefined;
    }
    return { kind: 'import', path, names, span };
  }

  // ---- definitions ----

  definition(ctx: cst.DefinitionCstChildren, loc: Loc): ast.Definition | undefined {
    const keyword = ctx.Fn?.[0] ?? ctx.Loss?.[0] ?? ctx.Block?.[0] ?? ctx.Net?.[0];
    const name = this.ident(ctx.Identifier?.[0]);
    const span = this.span(loc);
    if (keyword === undefined || name === undefined || span === undefined) {
      return undefined;
    }
    const params = defined((ctx.parameter ?? []).map((n) => this.node<ast.Parameter>(n)));
    const defKind = keyword.image as ast.DefinitionKind;
    const definition: ast.Definition = { kind: 'definition', defKind, name, params, span };
    if (ctx.block) {
      definition.body = this.node<ast.Statement[]>(ctx.block[0]) ?? [];
    } else {
      definition.expression = this.expr(ctx.expression?.[0]);
      if (definition.expression === undefined) {
        return undefined;
      }
    }
    const doc = this.docs.get(keyword.startOffset);
    if (doc !== undefined) {
      definition.doc = doc;
    }
    return definition;
  }

  parameter(ctx: cst.ParameterCstChildren, loc: Loc): ast.Parameter | undefined {
    const name = this.ident(ctx.Identifier?.[0]);
    const span = this.span(loc);
    if (name === undefined || span === undefined) {
      return undefined;
    }
    const parameter: ast.Parameter = { kind: 'parameter', name, span };
    const type = this.node<ast.TypeAnnotation>(ctx.typeAnnotation?.[0]);
    if (type !== undefined) {
      parameter.type = type;
    }
    if (ctx.Equals) {
      parameter.default = this.expr(ctx.expression?.[0]);
      if (parameter.default === undefined) {
        return undefined;
      }
    }
    return parameter;
  }

  typeAnnotation(ctx: cst.TypeAnnotationCstChildren, loc: Loc): ast.TypeAnnotation | undefined {
    const span = this.span(loc);
    if (span === undefined) {
      return undefined;
    }
    const type: ast.TypeAnnotation = { kind: 'type', span };
    const base = this.ident(ctx.base?.[0]);
    if (base !== undefined) {
      type.base = base;
    }
    const dims = this.node<ast.Identifier[]>(ctx.dimensionList?.[0]);
    if (dims !== undefined) {
      type.dims = dims;
    }
    return type.base === undefined && type.dims === undefined ? undefined : type;
  }

  dimensionList(ctx: cst.DimensionListCstChildren): ast.Identifier[] {
    return defined((ctx.Identifier ?? []).map((token) => this.ident(token)));
  }

  // ---- statements ----

  block(ctx: cst.BlockCstChildren): ast.Statement[] {
    return defined((ctx.statement ?? []).map((n) => this.node<ast.Statement>(n)));
  }

  statement(ctx: cst.StatementCstChildren): ast.Statement | undefined {
    const child =
      ctx.letStatement ?? ctx.assignStatement ?? ctx.forStatement ?? ctx.ifStatement ?? ctx.returnStatement;
    return this.node<ast.Statement>(child?.[0]);
  }

  letStatement(ctx: cst.LetStatementCstChildren, loc: Loc): ast.LetStatement | undefined {
    const name = this.ident(ctx.Identifier?.[0]);
    const value = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    return name && value && span ? { kind: 'let', name, value, span } : undefined;
  }

  assignStatement(ctx: cst.AssignStatementCstChildren, loc: Loc): ast.AssignStatement | undefined {
    const name = this.ident(ctx.Identifier?.[0]);
    const value = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    return name && value && span ? { kind: 'assign', name, value, span } : undefined;
  }

  forStatement(ctx: cst.ForStatementCstChildren, loc: Loc): ast.ForStatement | undefined {
    const targets = defined((ctx.Identifier ?? []).map((token) => this.ident(token)));
    const iterable = this.expr(ctx.expression?.[0]);
    const body = this.node<ast.Statement[]>(ctx.block?.[0]);
    const span = this.span(loc);
    if (targets.length === 0 || iterable === undefined || body === undefined || span === undefined) {
      return undefined;
    }
    return { kind: 'for', targets, destructure: ctx.LParen !== undefined, iterable, body, span };
  }

  ifStatement(ctx: cst.IfStatementCstChildren, loc: Loc): ast.IfStatement | undefined {
    const condition = this.expr(ctx.expression?.[0]);
    const then = this.node<ast.Statement[]>(ctx.then?.[0]);
    const span = this.span(loc);
    if (condition === undefined || then === undefined || span === undefined) {
      return undefined;
    }
    const statement: ast.IfStatement = { kind: 'if', condition, then, span };
    if (ctx.elseIf) {
      statement.else = defined([this.node<ast.IfStatement>(ctx.elseIf[0])]);
    } else if (ctx.else) {
      statement.else = this.node<ast.Statement[]>(ctx.else[0]) ?? [];
    }
    return statement;
  }

  returnStatement(ctx: cst.ReturnStatementCstChildren, loc: Loc): ast.ReturnStatement | undefined {
    const value = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    return value && span ? { kind: 'return', value, span } : undefined;
  }

  // ---- experiments ----

  experiment(ctx: cst.ExperimentCstChildren, loc: Loc): ast.Experiment | undefined {
    const keyword = ctx.Experiment?.[0];
    const name = this.ident(ctx.Identifier?.[0]);
    const span = this.span(loc);
    if (keyword === undefined || name === undefined || span === undefined) {
      return undefined;
    }
    const items = defined((ctx.experimentItem ?? []).map((n) => this.node<ast.ExperimentItem>(n)));
    const experiment: ast.Experiment = { kind: 'experiment', name, items, span };
    const doc = this.docs.get(keyword.startOffset);
    if (doc !== undefined) {
      experiment.doc = doc;
    }
    return experiment;
  }

  experimentItem(ctx: cst.ExperimentItemCstChildren): ast.ExperimentItem | undefined {
    return this.node<ast.ExperimentItem>((ctx.paramDeclaration ?? ctx.section ?? ctx.setting)?.[0]);
  }

  paramDeclaration(ctx: cst.ParamDeclarationCstChildren, loc: Loc): ast.ParamDeclaration | undefined {
    const name = this.ident(ctx.Identifier?.[0]);
    const value = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    return name && value && span ? { kind: 'param', name, value, span } : undefined;
  }

  section(ctx: cst.SectionCstChildren, loc: Loc): ast.Section | undefined {
    const name = this.ident(ctx.Identifier?.[0]);
    const settings = this.node<ast.Setting[]>(ctx.settingBlock?.[0]);
    const span = this.span(loc);
    return name && settings && span ? { kind: 'section', name, settings, span } : undefined;
  }

  setting(ctx: cst.SettingCstChildren, loc: Loc): ast.Setting | undefined {
    const key = defined((ctx.Identifier ?? []).map((token) => this.ident(token)));
    const value = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    if (key.length === 0 || value === undefined || span === undefined) {
      return undefined;
    }
    const options = this.node<ast.Setting[]>(ctx.settingBlock?.[0]);
    return options ? { kind: 'setting', key, value, options, span } : { kind: 'setting', key, value, span };
  }

  settingBlock(ctx: cst.SettingBlockCstChildren): ast.Setting[] {
    return defined((ctx.setting ?? []).map((n) => this.node<ast.Setting>(n)));
  }
}
