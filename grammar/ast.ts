// The typed AST of a .seg module; every node carries the Span of the source text it came from.
import type { Span } from '../diagnostics/diagnostic.ts';

export type { Span };

export interface Module {
  kind: 'module';
  file: string;
  imports: Import[];
  definitions: Definition[];
  experiments: Experiment[];
  span: Span;
}

/** `import std/losses { ce, proportion }` or `import "./mine.seg" { tversky }`. */
export interface Import {
  kind: 'import';
  path: string; // "std/losses" or "./mine.seg" (string literal contents)
  names: Identifier[];
  span: Span;
}

export interface Identifier {
  kind: 'identifier';
  name: string;
  span: Span;
}

export type DefinitionKind = 'fn' | 'loss' | 'block' | 'net';

/** `fn|loss|block|net name(params) = expr` or `... { statements }`. */
export interface Definition {
  kind: 'definition';
  defKind: DefinitionKind;
  name: Identifier;
  params: Parameter[];
  /** Exactly one of `expression` (the `= expr` form) and `body` is set. */
  expression?: Expression;
  body?: Statement[];
  doc?: string; // joined `///` lines, without the slashes
  span: Span;
}

export interface Parameter {
  kind: 'parameter';
  name: Identifier;
  type?: TypeAnnotation;
  default?: Expression;
  span: Span;
}

/** `logits[N,C,S]`, `[C]`, `int`, `image[N,Cin,H,W]`: a base name and/or a dim list. */
export interface TypeAnnotation {
  kind: 'type';
  base?: Identifier; // logits, labels, masks, image, int, float, bool, string, list
  dims?: Identifier[];
  span: Span;
}

export type Statement = LetStatement | AssignStatement | ForStatement | IfStatement | ReturnStatement;

export interface LetStatement {
  kind: 'let';
  name: Identifier;
  value: Expression;
  span: Span;
}

export interface AssignStatement {
  kind: 'assign';
  name: Identifier;
  value: Expression;
  span: Span;
}

/** `for w in xs { }` or `for (w, s) in zip(a, b) { }`. */
export interface ForStatement {
  kind: 'for';
  targets: Identifier[];
  destructure: boolean; // true for the parenthesised form
  iterable: Expression;
  body: Statement[];
  span: Span;
}

export interface IfStatement {
  kind: 'if';
  condition: Expression;
  then: Statement[];
  else?: Statement[];
  span: Span;
}

export interface ReturnStatement {
  kind: 'return';
  value: Expression;
  span: Span;
}

export type Expression =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NameExpression
  | ListExpression
  | BinaryExpression
  | UnaryExpression
  | CallExpression
  | IndexExpression
  | MemberExpression;

export interface NumberLiteral {
  kind: 'number';
  value: number;
  /** True when written without '.', 'e' or 'E' (so `3` is an int, `3.0` a float). */
  isInteger: boolean;
  span: Span;
}

export interface StringLiteral {
  kind: 'string';
  value: string; // unescaped contents
  span: Span;
}

export interface BooleanLiteral {
  kind: 'boolean';
  value: boolean;
  span: Span;
}

export interface NameExpression {
  kind: 'name';
  name: string;
  span: Span;
}

export interface ListExpression {
  kind: 'list';
  elements: Expression[];
  span: Span;
}

export type BinaryOperator =
  '+' | '-' | '*' | '/' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export interface BinaryExpression {
  kind: 'binary';
  operator: BinaryOperator;
  left: Expression;
  right: Expression;
  operatorSpan: Span;
  span: Span;
}

export interface UnaryExpression {
  kind: 'unary';
  operator: '-' | 'not';
  operand: Expression;
  span: Span;
}

export interface Argument {
  kind: 'argument';
  name?: Identifier; // keyword argument `pad = 1`
  value: Expression;
  span: Span;
}

/**
 * `f(a, k = 1)`, and the axis form `sum[N,S](x)` / `softmax[C](z)`: `axes` holds the bracketed dim names.
 * The parser produces the axis form when a `name[...]` is directly followed by `(`.
 */
export interface CallExpression {
  kind: 'call';
  callee: NameExpression;
  axes?: Identifier[];
  args: Argument[];
  span: Span;
}

/** `xs[-1]`, `w[y]`, `xs[:-1]`, `xs[1:3]`: either an index or a slice. */
export interface IndexExpression {
  kind: 'index';
  target: Expression;
  index?: Expression;
  slice?: { start?: Expression; end?: Expression };
  span: Span;
}

/** `val.loss`. */
export interface MemberExpression {
  kind: 'member';
  target: Expression;
  member: Identifier;
  span: Span;
}

/** `experiment name { items }`. */
export interface Experiment {
  kind: 'experiment';
  name: Identifier;
  items: ExperimentItem[];
  doc?: string;
  span: Span;
}

export type ExperimentItem = ParamDeclaration | Setting | Section;

/** `param alpha = 1.0`. */
export interface ParamDeclaration {
  kind: 'param';
  name: Identifier;
  value: Expression;
  span: Span;
}

/**
 * `key = expr` with an optional option block: `data = shapes(...) { train augment = [...] }`.
 * Inside option blocks keys may be several words (`train augment`), kept in order in `key`.
 */
export interface Setting {
  kind: 'setting';
  key: Identifier[];
  value: Expression;
  options?: Setting[];
  span: Span;
}

/** `train { epochs = 5, batch = 16 }`: a named block of settings (commas optional). */
export interface Section {
  kind: 'section';
  name: Identifier;
  settings: Setting[];
  span: Span;
}
