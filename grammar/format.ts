// `segc fmt`: .seg source → canonical source (2-space indent, lines within 110 columns where the layout
// allows, every comment kept in place); a file with syntax errors is left alone. Style: docs/formatting.md.
import type * as ast from './ast.ts';
import { InternalError, type Diagnostic } from '../diagnostics/index.ts';
import { ExpressionPrinter } from './format-expressions.ts';
import { hasBlankLine, SourceTokens } from './format-tokens.ts';
import { parseSource } from './index.ts';
import { fill, group, hardline, ifBreak, indent, line, render, type Layout } from './layout.ts';

/** The column limit the formatter aims for (STYLE.md: lines under 110 columns). */
export const formatWidth = 110;

export interface FormatResult {
  /** The formatted text; undefined when the source has syntax errors (then `diagnostics` says why). */
  text?: string;
  diagnostics: Diagnostic[];
}

/**
 * Formats one module. The result parses to the same AST (spans aside) with the same comments, and formatting
 * it again changes nothing; a formatter bug that would break the first throws an InternalError instead.
 */
export function formatSource(text: string, file: string): FormatResult {
  const parsed = parseSource(text, file);
  if (parsed.diagnostics.length > 0) return { diagnostics: parsed.diagnostics };
  const tokens = new SourceTokens(text);
  const layout = new ModulePrinter(tokens).module(parsed.module);
  if (!tokens.done) throw new InternalError(`formatter left tokens or comments of '${file}' unprinted`);
  const printed = render(layout, formatWidth);
  const formatted = printed.length === 0 ? '' : `${printed}\n`;
  const reparsed = parseSource(formatted, file);
  const same = JSON.stringify(withoutSpans(reparsed.module)) === JSON.stringify(withoutSpans(parsed.module));
  const comments = (source: string) => new SourceTokens(source).comments.map((c) => c.text).join('\n');
  if (reparsed.diagnostics.length > 0 || !same || comments(formatted) !== comments(text)) {
    throw new InternalError(`formatting '${file}' would change its meaning or its comments`);
  }
  return { text: formatted, diagnostics: [] };
}

/** A copy of an AST without its spans (`span`, `operatorSpan`): what formatting must preserve. */
export function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([key]) => key !== 'span' && key !== 'operatorSpan');
  return Object.fromEntries(entries.map(([key, inner]) => [key, withoutSpans(inner)]));
}

type TopLevel = ast.Import | ast.Definition | ast.Experiment;

/** One line (or several, when broken) of a braced body or the module: a node or an own-line comment. */
interface Entry {
  layout: Layout;
  blankBefore: boolean;
  node?: { kind: string };
}

/** Definitions, statements, experiments and imports → Layouts; comments come from the token cursor. */
export class ModulePrinter extends ExpressionPrinter {
  constructor(tokens: SourceTokens) {
    super(tokens);
  }

  /**
   * The module: imports, definitions and experiments in source order. An experiment or a definition with a
   * body is set off by one blank line (above the comments directly over it); elsewhere a blank line in the
   * source is kept, so a run of one-line definitions can stay together.
   */
  module(m: ast.Module): Layout {
    const items: TopLevel[] = [...m.imports, ...m.definitions, ...m.experiments];
    items.sort((a, b) => a.span.start - b.span.start);
    const entries = this.entries(items, 0, (item) => this.topLevel(item));
    const isBlock = (entry: Entry | undefined) =>
      entry?.node?.kind === 'experiment' || (entry?.node?.kind === 'definition' && 'body' in entry.node);
    entries.forEach((entry, i) => {
      if (isBlock(entries[i - 1])) entry.blankBefore = true;
      if (!isBlock(entry)) return;
      let first = i;
      while (first > 0 && entries[first - 1].node === undefined && !entries[first].blankBefore) first--;
      if (first > 0) entries[first].blankBefore = true;
    });
    return this.join(entries, hardline);
  }

  private topLevel(item: TopLevel): Layout {
    switch (item.kind) {
      case 'import':
        return this.importDeclaration(item);
      case 'definition':
        return this.definition(item);
      case 'experiment':
        return this.experiment(item);
    }
  }

  /** `import std/losses { ce, proportion }` or `import "./mine.seg" { tversky }`. */
  private importDeclaration(item: ast.Import): Layout {
    const keyword = this.t.token('import');
    const path: Layout[] = [this.t.token()];
    while (this.t.peek()?.image === '/') path.push(this.t.token('/'), this.t.token());
    const open = this.t.token('{');
    const names: Layout[] = [];
    item.names.forEach((_, i) => {
      if (i > 0) names.push(line);
      names.push(i < item.names.length - 1 ? [this.t.token(), this.t.token(',')] : this.t.token());
    });
    const close = this.t.token('}');
    return [keyword, ' ', path, ' ', group([open, indent([line, fill(names)]), line, close])];
  }

  /**
   * `loss name(params) = expression`, or with the expression on the next line (indented) when the whole does
   * not fit on one; or `loss name(params) { body }`.
   */
  definition(d: ast.Definition): Layout {
    const header = this.definitionHeader(d);
    if (d.body !== undefined) return [header, ' ', this.block(d.body)];
    const equals = this.t.token('=');
    const expression = this.expression(d.expression as ast.Expression);
    return group([header, ' ', equals, indent([line, expression])]);
  }

  /** `loss name(z: logits[N,C,S], w: [C] = 1)`: also the signature `segc doc` prints. */
  definitionHeader(d: ast.Definition): Layout {
    const keyword = this.t.token();
    const name = this.t.token();
    const params = d.params.map((p) => () => this.parameter(p));
    return [keyword, ' ', name, this.bracketed(this.t.token('('), params, ')')];
  }

  private parameter(p: ast.Parameter): Layout {
    const name = this.t.token();
    const type = p.type === undefined ? '' : [this.t.token(':'), ' ', this.typeAnnotation(p.type)];
    const value = p.default === undefined ? '' : [' ', this.t.token('='), ' ', this.expression(p.default)];
    return [name, type, value];
  }

  /** `logits[N,C,S]`, `[C]`, `int`: dims without spaces. */
  private typeAnnotation(type: ast.TypeAnnotation): Layout {
    const base = type.base === undefined ? '' : this.t.token();
    if (type.dims === undefined) return base;
    const dims: Layout[] = [this.t.token('[')];
    type.dims.forEach((_, i) => dims.push(i > 0 ? this.t.token(',') : '', this.t.token()));
    dims.push(this.t.token(']'));
    return [base, dims];
  }

  // ---- statements ----

  /** `{ statements }`, one a line, always broken (`{}` when empty). */
  private block(statements: ast.Statement[]): Layout {
    const open = this.t.token('{');
    const entries = this.entries(statements, this.t.previousEnd(), (s) => this.statement(s));
    const close = this.t.token('}');
    if (entries.length === 0) return [open, close];
    return [open, indent([hardline, this.join(entries, hardline)]), hardline, close];
  }

  private statement(s: ast.Statement): Layout {
    switch (s.kind) {
      case 'let':
        return [
          this.t.token('let'),
          ' ',
          this.t.token(),
          ' ',
          this.t.token('='),
          ' ',
          this.expression(s.value),
        ];
      case 'assign':
        return [this.t.token(), ' ', this.t.token('='), ' ', this.expression(s.value)];
      case 'return':
        return [this.t.token('return'), ' ', this.expression(s.value)];
      case 'for':
        return this.forStatement(s);
      case 'if':
        return this.ifStatement(s);
    }
  }

  /** `for w in xs { }` or `for (w, s) in zip(a, b) { }`. */
  private forStatement(s: ast.ForStatement): Layout {
    const keyword = this.t.token('for');
    const targets: Layout[] = [];
    if (s.destructure) {
      targets.push(this.t.token('('));
      s.targets.forEach((_, i) => targets.push(i > 0 ? [this.t.token(','), ' '] : '', this.t.token()));
      targets.push(this.t.token(')'));
    } else {
      targets.push(this.t.token());
    }
    const inKeyword = this.t.token('in');
    const iterable = this.expression(s.iterable);
    return [keyword, ' ', targets, ' ', inKeyword, ' ', iterable, ' ', this.block(s.body)];
  }

  /** `if c { } else if d { } else { }`; `else { if ... }` stays as written. */
  private ifStatement(s: ast.IfStatement): Layout {
    const keyword = this.t.token('if');
    const condition = this.expression(s.condition);
    const parts: Layout[] = [keyword, ' ', condition, ' ', this.block(s.then)];
    if (s.else !== undefined) {
      parts.push(' ', this.t.token('else'), ' ');
      const elseIf = this.t.peek()?.image === 'if';
      parts.push(elseIf ? this.ifStatement(s.else[0] as ast.IfStatement) : this.block(s.else));
    }
    return parts;
  }

  // ---- experiments ----

  /** `experiment name { items }`: one item a line, without commas. */
  private experiment(x: ast.Experiment): Layout {
    const keyword = this.t.token('experiment');
    const name = this.t.token();
    const open = this.t.token('{');
    const entries = this.entries(x.items, this.t.previousEnd(), (item) => [
      this.experimentItem(item),
      this.t.peek()?.image === ',' ? this.t.skip(',') : '',
    ]);
    const close = this.t.token('}');
    if (entries.length === 0) return [keyword, ' ', name, ' ', open, close];
    return [keyword, ' ', name, ' ', open, indent([hardline, this.join(entries, hardline)]), hardline, close];
  }

  /** `param alpha = 1.0`, `key words = value { options }` or `name { settings }`. */
  experimentItem(item: ast.ExperimentItem): Layout {
    switch (item.kind) {
      case 'param': {
        const keyword = this.t.token('param');
        return [keyword, ' ', this.t.token(), ' ', this.t.token('='), ' ', this.expression(item.value)];
      }
      case 'setting':
        return this.setting(item);
      case 'section': {
        const name = this.t.token();
        return [name, ' ', this.settingBlock(item.settings, item.span.end)];
      }
    }
  }

  private setting(s: ast.Setting): Layout {
    const key = s.key.map((_, i) => (i > 0 ? [' ', this.t.token()] : this.t.token()));
    const value = [' ', this.t.token('='), ' ', this.expression(s.value)];
    return [key, value, s.options === undefined ? '' : [' ', this.settingBlock(s.options, s.span.end)]];
  }

  /**
   * `{ epochs = 5, batch = 16 }` on one line when it fits, was written with its first setting on the `{` line
   * and holds no comment; else one setting a line without commas.
   */
  private settingBlock(settings: ast.Setting[], end: number): Layout {
    const openToken = this.t.peek();
    const open = this.t.token('{');
    const start = this.t.previousEnd();
    const multiline =
      (settings.length > 0 && this.t.text.slice(start, settings[0].span.start).includes('\n')) ||
      this.t.hasComment(openToken?.startOffset ?? start, end);
    const entries = this.entries(settings, start, (s, i) => {
      const printed = this.setting(s);
      const last = i === settings.length - 1;
      if (this.t.peek()?.image !== ',') return last ? printed : [printed, ifBreak('', ',')];
      if (last) return [printed, this.t.skip(',')];
      const comma = this.t.take(',');
      return [printed, comma.before, ifBreak('', comma.text), comma.after];
    });
    const close = this.t.token('}');
    if (entries.length === 0) return [open, close];
    return group([open, indent([line, this.join(entries, line)]), line, close], multiline);
  }

  // ---- bodies ----

  /** The items of a body, the own-line comments before, between and after them, and the blank lines. */
  private entries<T extends { kind: string; span: ast.Span }>(
    items: T[],
    start: number,
    print: (item: T, i: number) => Layout,
  ): Entry[] {
    const entries: Entry[] = [];
    let previousEnd = start;
    const comments = (offset: number) => {
      for (const comment of this.t.commentsBefore(offset)) {
        const blankBefore = hasBlankLine(this.t.text, previousEnd, comment.start);
        entries.push({ layout: comment.text, blankBefore });
        previousEnd = comment.end;
      }
    };
    items.forEach((item, i) => {
      comments(item.span.start);
      const blankBefore = hasBlankLine(this.t.text, previousEnd, item.span.start);
      entries.push({ layout: print(item, i), blankBefore, node: item });
      previousEnd = item.span.end;
    });
    comments(this.t.peek()?.startOffset ?? Infinity);
    return entries;
  }

  /** Entries one a line (or `separator` between two nodes), with a blank line where one was; none first. */
  private join(entries: Entry[], separator: Layout): Layout {
    return entries.map((entry, i) => {
      if (i === 0) return entry.layout;
      const between = entry.node === undefined || entries[i - 1].node === undefined ? hardline : separator;
      return [between, entry.blankBefore ? hardline : '', entry.layout];
    });
  }
}
