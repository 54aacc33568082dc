// Expressions → Layouts for the formatter: `a + b`, `f(x, k = 3)`, `sum[N,S](x)`, `[1, 2]`, `xs[:-1]`, with
// the source's parentheses kept; long argument lists fill lines under the open bracket, long operator chains
// fill lines that start with an operator. Tokens come from SourceTokens in source order, so comments stay
// put.
import type * as ast from './ast.ts';
import { InternalError } from '../diagnostics/index.ts';
import type { SourceTokens } from './format-tokens.ts';
import { align, fill, group, indent, line, type Layout } from './layout.ts';

// Binding strength of each binary operator (parser.ts: or < and < comparison < additive < multiplicative
// < ^).
const precedence: Record<ast.BinaryOperator, number> = {
  or: 1,
  and: 2,
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '^': 8,
};

/** The expression half of the formatter; ModulePrinter (format.ts) adds definitions, statements and items. */
export class ExpressionPrinter {
  constructor(protected readonly t: SourceTokens) {}

  /** An expression with the parentheses written around it in the source (several layers print as one). */
  expression(e: ast.Expression): Layout {
    if (this.t.peek()?.startOffset !== e.span.start) {
      throw new InternalError(`formatter out of step at offset ${e.span.start}`);
    }
    const layers = this.parenLayers(e);
    if (layers === 0) return this.bare(e, false);
    const open: Layout[] = [this.t.token('(')];
    for (let i = 1; i < layers; i++) open.push(this.t.skip('('));
    const inner = this.bare(e, true);
    const close: Layout[] = [];
    for (let i = 1; i < layers; i++) close.push(this.t.skip(')'));
    close.push(this.t.token(')'));
    return [open, align(inner), close];
  }

  /** `open item, item, ... close`: flat when it fits, else items fill lines aligned after `open`. */
  protected bracketed(open: Layout, items: Array<() => Layout>, close: string): Layout {
    if (items.length === 0) return [open, this.t.token(close)];
    const parts: Layout[] = [];
    items.forEach((item, i) => {
      const printed = item();
      if (i < items.length - 1) {
        parts.push([printed, this.t.token(',')], line);
      } else {
        parts.push([printed, this.t.token(close)]);
      }
    });
    return group([open, align(fill(parts))]);
  }

  /** The parentheses around `e` in the source: the tokens between its span start and its own first token. */
  protected parenLayers(e: ast.Expression): number {
    const first = this.t.indexAt(e.span.start);
    switch (e.kind) {
      case 'binary':
        return this.t.indexAt(e.left.span.start) - first;
      case 'index':
      case 'member':
        return this.t.indexAt(e.target.span.start) - first;
      case 'call':
        return this.t.indexAt(e.callee.span.start) - first;
      default: {
        let index = first;
        while (this.t.tokens[index]?.image === '(') index++;
        return index - first;
      }
    }
  }

  private bare(e: ast.Expression, inParens: boolean): Layout {
    switch (e.kind) {
      case 'number':
      case 'string':
      case 'boolean':
      case 'name':
        return this.t.token();
      case 'list':
        return this.bracketed(
          this.t.token('['),
          e.elements.map((element) => () => this.expression(element)),
          ']',
        );
      case 'binary':
        return this.chain(e, inParens);
      case 'unary': {
        const operator = this.t.token(e.operator);
        const operand = e.operand;
        const nestedMinus =
          operand.kind === 'unary' && operand.operator === '-' && this.parenLayers(operand) === 0;
        return [operator, e.operator === 'not' || nestedMinus ? ' ' : '', this.expression(e.operand)];
      }
      case 'call':
        return this.call(e);
      case 'index': {
        const target = this.expression(e.target);
        const open = this.t.token('[');
        const inner = e.index !== undefined ? this.expression(e.index) : this.slice(e.slice ?? {});
        return [target, open, inner, this.t.token(']')];
      }
      case 'member':
        return [this.expression(e.target), this.t.token('.'), this.t.token()];
    }
  }

  private slice(slice: { start?: ast.Expression; end?: ast.Expression }): Layout {
    const start = slice.start === undefined ? '' : this.expression(slice.start);
    const colon = this.t.token(':');
    return [start, colon, slice.end === undefined ? '' : this.expression(slice.end)];
  }

  /** `f(a, k = 1)` and `sum[N,S](x)`. */
  private call(e: ast.CallExpression): Layout {
    const callee = this.expression(e.callee);
    const axes: Layout[] = [];
    if (e.axes !== undefined) {
      axes.push(this.t.token('['));
      e.axes.forEach((axis, i) => {
        if (i > 0) axes.push(this.t.token(','));
        axes.push(this.tokensOf(axis.span.start, axis.span.end));
      });
      axes.push(this.t.token(']'));
    }
    const args = e.args.map((arg) => () => this.argument(arg));
    return [callee, axes, this.bracketed(this.t.token('('), args, ')')];
  }

  private argument(arg: ast.Argument): Layout {
    if (arg.name === undefined) return this.expression(arg.value);
    return [this.t.token(), ' ', this.t.token('='), ' ', this.expression(arg.value)];
  }

  /** Every token in [start, end), printed without spaces (an axis name, possibly parenthesised). */
  private tokensOf(start: number, end: number): Layout {
    if (this.t.peek()?.startOffset !== start) {
      throw new InternalError(`formatter out of step at offset ${start}`);
    }
    const printed: Layout[] = [];
    while ((this.t.peek()?.startOffset ?? end) < end) printed.push(this.t.token());
    if (printed.length === 0) {
      throw new InternalError(`formatter found no tokens at offset ${start}`);
    }
    return printed;
  }

  /**
   * `a + b - c` (left associative) or `a ^ b ^ c` (right): the operands of one precedence level in source
   * order. When the chain does not fit, its terms fill lines and each continuation line starts with an
   * operator, indented by 2, or directly in parentheses under the first operand.
   */
  private chain(e: ast.BinaryExpression, inParens: boolean): Layout {
    const level = precedence[e.operator];
    const sameLevel = (x: ast.Expression): x is ast.BinaryExpression =>
      x.kind === 'binary' && precedence[x.operator] === level && this.parenLayers(x) === 0;
    const operands: ast.Expression[] = [];
    if (e.operator === '^') {
      let current: ast.Expression = e;
      while (current === e || sameLevel(current)) {
        const binary = current as ast.BinaryExpression;
        operands.push(binary.left);
        current = binary.right;
      }
      operands.push(current);
    } else {
      let current: ast.Expression = e;
      while (current === e || sameLevel(current)) {
        const binary = current as ast.BinaryExpression;
        operands.unshift(binary.right);
        current = binary.left;
      }
      operands.unshift(current);
    }
    const terms: Layout[] = [this.expression(operands[0])];
    for (const operand of operands.slice(1)) {
      const operator = this.t.token();
      terms.push(line, [operator, ' ', this.expression(operand)]);
    }
    return group(inParens ? align(fill(terms)) : indent(fill(terms)));
  }
}
