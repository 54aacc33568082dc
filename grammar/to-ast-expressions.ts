// CST → AST for expressions: precedence levels fold into BinaryExpressions; postfix suffixes become calls
// (with the axis form `sum[N,S](x)`), index/slice and member expressions. Shared visitor helpers live here.
import type { CstNode, CstNodeLocation, IToken } from 'chevrotain';
import type * as cst from './cst.generated.d.ts';
import type * as ast from './ast.ts';
import type { Diagnostic, Span } from '../diagnostics/diagnostic.ts';
import { createDiagnostic, quote } from '../diagnostics/messages.ts';
import { segParser } from './parser.ts';
import { joinSpans, type LineIndex } from './spans.ts';

export type Loc = CstNodeLocation | undefined;

/** A suffix of a postfix expression, before the axis-call rewrite. */
type Suffix =
  | { kind: 'call'; args: ast.Argument[]; span: Span }
  | { kind: 'index'; items: IndexItem[]; span: Span }
  | { kind: 'member'; member: ast.Identifier; span: Span };

interface IndexItem {
  isSlice: boolean;
  start?: ast.Expression;
  end?: ast.Expression;
}

const BaseVisitor = segParser.getBaseCstVisitorConstructor();

export function defined<T>(values: Array<T | undefined>): T[] {
  return values.filter((value): value is T => value !== undefined);
}

/** The contents of a string literal token, with `\n`, `\t`, `\r` and `\x` escapes resolved. */
export function unescape(quoted: string): string {
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
  return quoted.slice(1, -1).replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}

/** The expression half of the CST visitor; AstBuilder (to-ast.ts) adds the statement and item rules. */
export abstract class ExpressionBuilder extends BaseVisitor {
  readonly diagnostics: Diagnostic[] = [];

  constructor(protected readonly lines: LineIndex) {
    super();
  }

  // ---- helpers ----

  protected node<T>(node: CstNode | undefined): T | undefined {
    return node === undefined ? undefined : (this.visit(node, node.location) as T | undefined);
  }

  protected expr(node: CstNode | undefined): ast.Expression | undefined {
    return this.node<ast.Expression>(node);
  }

  protected span(loc: Loc): Span | undefined {
    if (loc === undefined || Number.isNaN(loc.startOffset) || loc.endOffset === undefined) {
      return undefined;
    }
    if (Number.isNaN(loc.endOffset)) {
      return undefined;
    }
    return this.lines.span(loc.startOffset, loc.endOffset + 1);
  }

  protected ident(token: IToken | undefined): ast.Identifier | undefined {
    const span = this.lines.tokenSpan(token);
    if (span === undefined || token === undefined) {
      return undefined;
    }
    return { kind: 'identifier', name: token.image, span };
  }

  /** `left op right op right ...`, left associative. */
  protected fold(nodes: CstNode[] | undefined, operators: IToken[] | undefined): ast.Expression | undefined {
    const operands = (nodes ?? []).map((node) => this.expr(node));
    let result = operands[0];
    for (let i = 1; i < operands.length && result !== undefined; i++) {
      const right = operands[i];
      const operatorSpan = this.lines.tokenSpan(operators?.[i - 1]);
      if (right === undefined || operatorSpan === undefined || operators === undefined) {
        return undefined;
      }
      const operator = operators[i - 1].image as ast.BinaryOperator;
      const span = joinSpans(result.span, right.span);
      result = { kind: 'binary', operator, left: result, right, operatorSpan, span };
    }
    return operands.includes(undefined) ? undefined : result;
  }

  // ---- expressions ----

  expression(ctx: cst.ExpressionCstChildren): ast.Expression | undefined {
    return this.fold(ctx.andExpression, ctx.Or);
  }

  andExpression(ctx: cst.AndExpressionCstChildren): ast.Expression | undefined {
    return this.fold(ctx.notExpression, ctx.And);
  }

  notExpression(ctx: cst.NotExpressionCstChildren, loc: Loc): ast.Expression | undefined {
    if (ctx.Not === undefined) {
      return this.expr(ctx.comparison?.[0]);
    }
    const operand = this.expr(ctx.notExpression?.[0]);
    const span = this.span(loc);
    return operand && span ? { kind: 'unary', operator: 'not', operand, span } : undefined;
  }

  comparison(ctx: cst.ComparisonCstChildren): ast.Expression | undefined {
    return this.fold(ctx.additive, ctx.ComparisonOperator);
  }

  additive(ctx: cst.AdditiveCstChildren): ast.Expression | undefined {
    return this.fold(ctx.multiplicative, ctx.AdditiveOperator);
  }

  multiplicative(ctx: cst.MultiplicativeCstChildren): ast.Expression | undefined {
    return this.fold(ctx.unary, ctx.MultiplicativeOperator);
  }

  unary(ctx: cst.UnaryCstChildren, loc: Loc): ast.Expression | undefined {
    if (ctx.Minus === undefined) {
      return this.expr(ctx.power?.[0]);
    }
    const operand = this.expr(ctx.unary?.[0]);
    const span = this.span(loc);
    return operand && span ? { kind: 'unary', operator: '-', operand, span } : undefined;
  }

  power(ctx: cst.PowerCstChildren): ast.Expression | undefined {
    return this.fold([...(ctx.postfix ?? []), ...(ctx.exponent ?? [])], ctx.Caret);
  }

  // Applies suffixes left to right; `name[A,B](args)` becomes one CallExpression with axes.
  postfix(ctx: cst.PostfixCstChildren): ast.Expression | undefined {
    let target = this.expr(ctx.primary?.[0]);
    const suffixes = (ctx.suffix ?? []).map((n) => this.node<Suffix>(n));
    for (let i = 0; i < suffixes.length && target !== undefined; i++) {
      const suffix = suffixes[i];
      if (suffix === undefined) {
        return undefined;
      }
      const span = joinSpans(target.span, suffix.span);
      if (suffix.kind === 'member') {
        target = { kind: 'member', target, member: suffix.member, span };
      } else if (suffix.kind === 'call') {
        target = this.call(target, undefined, suffix.args, span);
      } else {
        const next = suffixes[i + 1];
        const axes = suffix.items
          .map((item) => (item.isSlice ? undefined : item.start))
          .filter((axis): axis is ast.NameExpression => axis?.kind === 'name');
        if (next?.kind === 'call' && target.kind === 'name' && axes.length === suffix.items.length) {
          const names = axes.map((axis): ast.Identifier => ({ ...axis, kind: 'identifier' }));
          target = this.call(target, names, next.args, joinSpans(target.span, next.span));
          i++;
        } else {
          target = this.index(target, suffix.items, span);
        }
      }
    }
    return target;
  }

  private call(
    callee: ast.Expression,
    axes: ast.Identifier[] | undefined,
    args: ast.Argument[],
    span: Span,
  ): ast.CallExpression | undefined {
    if (callee.kind !== 'name') {
      const text = this.lines.text.slice(callee.span.start, callee.span.end);
      this.diagnostics.push(createDiagnostic('SEG1005', callee.span, quote(text)));
      return undefined;
    }
    if (axes === undefined) {
      return { kind: 'call', callee, args, span };
    }
    return { kind: 'call', callee, axes, args, span };
  }

  private index(target: ast.Expression, items: IndexItem[], span: Span): ast.IndexExpression | undefined {
    const item = items[0];
    if (items.length !== 1 || item === undefined) {
      this.diagnostics.push(createDiagnostic('SEG1004', span));
      return undefined;
    }
    if (!item.isSlice) {
      return { kind: 'index', target, index: item.start, span };
    }
    const slice: { start?: ast.Expression; end?: ast.Expression } = {};
    if (item.start !== undefined) {
      slice.start = item.start;
    }
    if (item.end !== undefined) {
      slice.end = item.end;
    }
    return { kind: 'index', target, slice, span };
  }

  suffix(ctx: cst.SuffixCstChildren, loc: Loc): Suffix | undefined {
    const span = this.span(loc);
    if (span === undefined) {
      return undefined;
    }
    if (ctx.LParen) {
      const args = (ctx.argument ?? []).map((n) => this.node<ast.Argument>(n));
      return args.includes(undefined) ? undefined : { kind: 'call', args: defined(args), span };
    }
    if (ctx.LBracket) {
      const items = (ctx.indexItem ?? []).map((n) => this.node<IndexItem>(n));
      if (items.includes(undefined) || items.length === 0) {
        return undefined;
      }
      return { kind: 'index', items: defined(items), span };
    }
    const member = this.ident(ctx.Identifier?.[0]);
    return member ? { kind: 'member', member, span } : undefined;
  }

  argument(ctx: cst.ArgumentCstChildren, loc: Loc): ast.Argument | undefined {
    const value = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    if (value === undefined || span === undefined) {
      return undefined;
    }
    const name = this.ident(ctx.keyword?.[0]);
    return name ? { kind: 'argument', name, value, span } : { kind: 'argument', value, span };
  }

  indexItem(ctx: cst.IndexItemCstChildren): IndexItem | undefined {
    const start = this.expr(ctx.start?.[0]);
    const end = this.expr(ctx.end?.[0]);
    if ((ctx.start && start === undefined) || (ctx.end && end === undefined)) {
      return undefined;
    }
    const isSlice = ctx.Colon !== undefined;
    return isSlice || start !== undefined ? { isSlice, start, end } : undefined;
  }

  primary(ctx: cst.PrimaryCstChildren, loc: Loc): ast.Expression | undefined {
    if (ctx.parenthesized || ctx.list) {
      return this.expr(ctx.parenthesized?.[0] ?? ctx.list?.[0]);
    }
    const token = ctx.NumberLiteral?.[0] ?? ctx.StringLiteral?.[0] ?? ctx.True?.[0] ?? ctx.False?.[0];
    const span = this.lines.tokenSpan(token ?? ctx.Identifier?.[0]) ?? this.span(loc);
    if (span === undefined) {
      return undefined;
    }
    if (ctx.NumberLiteral) {
      const image = ctx.NumberLiteral[0].image;
      return { kind: 'number', value: Number(image), isInteger: !/[.eE]/.test(image), span };
    }
    if (ctx.StringLiteral) {
      return { kind: 'string', value: unescape(ctx.StringLiteral[0].image), span };
    }
    if (ctx.True || ctx.False) {
      return { kind: 'boolean', value: ctx.True !== undefined, span };
    }
    const name = ctx.Identifier?.[0];
    return name && !name.isInsertedInRecovery ? { kind: 'name', name: name.image, span } : undefined;
  }

  // The span of `(e)` includes the parentheses, so enclosing spans cover them too.
  parenthesized(ctx: cst.ParenthesizedCstChildren, loc: Loc): ast.Expression | undefined {
    const inner = this.expr(ctx.expression?.[0]);
    const span = this.span(loc);
    return inner && span ? { ...inner, span } : undefined;
  }

  list(ctx: cst.ListCstChildren, loc: Loc): ast.ListExpression | undefined {
    const elements = (ctx.expression ?? []).map((n) => this.expr(n));
    const span = this.span(loc);
    return elements.includes(undefined) || span === undefined
      ? undefined
      : { kind: 'list', elements: defined(elements), span };
  }
}
