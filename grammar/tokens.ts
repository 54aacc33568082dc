// The tokens of .seg: text → Chevrotain tokens. Each token has a `label` used in error messages.
// Order matters: longer operators before their prefixes, keywords before Identifier, doc before line
// comments.
import { createToken, Lexer, type TokenType } from 'chevrotain';

/** Names. Soft keywords (fn, loss, block, net, in) are also Identifiers, so `loss = ...`, `in = 3` work. */
export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: 'a name',
});

function keyword(word: string, soft = false): TokenType {
  const name = word[0].toUpperCase() + word.slice(1);
  return createToken({
    name,
    pattern: new RegExp(word),
    label: `'${word}'`,
    longer_alt: Identifier, // `format`, `lettuce` stay identifiers
    categories: soft ? [Identifier] : [],
  });
}

export const Import = keyword('import');
export const Experiment = keyword('experiment');
export const Fn = keyword('fn', true);
export const Loss = keyword('loss', true);
export const Block = keyword('block', true);
export const Net = keyword('net', true);
export const Let = keyword('let');
export const For = keyword('for');
export const In = keyword('in', true);
export const If = keyword('if');
export const Else = keyword('else');
export const Return = keyword('return');
export const Param = keyword('param');
export const True = keyword('true');
export const False = keyword('false');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'a number',
});
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  label: 'a string',
});
/** A string without its closing quote; kept out of the parser and reported as SEG1002. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\.)*/,
  group: 'errors',
});

// Operator categories keep mixed operators in source order inside one CST child array.
export const AdditiveOperator = createToken({
  name: 'AdditiveOperator',
  pattern: Lexer.NA,
  label: "'+' or '-'",
});
export const MultiplicativeOperator = createToken({
  name: 'MultiplicativeOperator',
  pattern: Lexer.NA,
  label: "'*' or '/'",
});
export const ComparisonOperator = createToken({
  name: 'ComparisonOperator',
  pattern: Lexer.NA,
  label: 'a comparison',
});

function operator(name: string, text: string, categories: TokenType[] = []): TokenType {
  const pattern = new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return createToken({ name, pattern, label: `'${text}'`, categories });
}

export const EqualsEquals = operator('EqualsEquals', '==', [ComparisonOperator]);
export const NotEquals = operator('NotEquals', '!=', [ComparisonOperator]);
export const LessEquals = operator('LessEquals', '<=', [ComparisonOperator]);
export const GreaterEquals = operator('GreaterEquals', '>=', [ComparisonOperator]);
export const Less = operator('Less', '<', [ComparisonOperator]);
export const Greater = operator('Greater', '>', [ComparisonOperator]);
export const Equals = operator('Equals', '=');
export const Plus = operator('Plus', '+', [AdditiveOperator]);
export const Minus = operator('Minus', '-', [AdditiveOperator]);
export const Star = operator('Star', '*', [MultiplicativeOperator]);
// Slash is also the import path separator (`std/losses`).
export const Slash = operator('Slash', '/', [MultiplicativeOperator]);
export const Caret = operator('Caret', '^');
export const Colon = operator('Colon', ':');
export const Comma = operator('Comma', ',');
export const Dot = operator('Dot', '.');
export const LParen = operator('LParen', '(');
export const RParen = operator('RParen', ')');
export const LBracket = operator('LBracket', '[');
export const RBracket = operator('RBracket', ']');
export const LCurly = operator('LCurly', '{');
export const RCurly = operator('RCurly', '}');

/** `/// text`: kept in the 'docs' group so to-ast can attach it to the next definition or experiment. */
export const DocComment = createToken({ name: 'DocComment', pattern: /\/\/\/(?!\/)[^\n\r]*/, group: 'docs' });
export const LineComment = createToken({
  name: 'LineComment',
  pattern: /\/\/[^\n\r]*/,
  group: Lexer.SKIPPED,
});
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });

/** Lexing order (first match wins among same-length candidates; longer_alt handles keyword prefixes). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  Import,
  Experiment,
  Fn,
  Loss,
  Block,
  Net,
  Let,
  For,
  In,
  If,
  Else,
  Return,
  Param,
  True,
  False,
  And,
  Or,
  Not,
  Identifier,
  NumberLiteral, // before Dot, so `.5` is a number
  StringLiteral,
  UnterminatedString,
  EqualsEquals,
  NotEquals,
  LessEquals,
  GreaterEquals,
  Less,
  Greater,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  Colon,
  Comma,
  Dot,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  AdditiveOperator,
  MultiplicativeOperator,
  ComparisonOperator,
];

/** The lexer's options; its token definitions are checked by test/grammar/parser-validation.test.ts. */
export const LEXER_OPTIONS = { positionTracking: 'full', ensureOptimizations: false } as const;
export const SegLexer = new Lexer(allTokens, { ...LEXER_OPTIONS, skipValidations: true });
