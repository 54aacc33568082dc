// The source tokens and comments of a module, walked in order by the formatter: each token it prints brings
// the comments before it (own-line) and the trailing comment after it, so every comment keeps its place.
import type { IToken } from 'chevrotain';
import { InternalError } from '../diagnostics/index.ts';
import { lineSuffix, ownLine, type Layout } from './layout.ts';
import { SegLexer } from './tokens.ts';

/** A `//` or `///` comment; `trailing` when code precedes it on its line. */
export interface Comment {
  text: string;
  start: number;
  end: number;
  trailing: boolean;
}

/** The pieces of one printed token: comments before it, its text, the trailing comment after it. */
export interface TokenParts {
  before: Layout[];
  text: string;
  after: Layout[];
}

/** A cursor over the tokens of a source text, with the comments between them. */
export class SourceTokens {
  readonly tokens: IToken[];
  readonly comments: Comment[];
  private cursor = 0;
  private nextComment = 0;

  constructor(
    readonly text: string,
    keepComments = true,
  ) {
    this.tokens = SegLexer.tokenize(text).tokens;
    this.comments = keepComments ? findComments(text, this.tokens) : [];
  }

  /** The next token to print. */
  peek(offset = 0): IToken | undefined {
    return this.tokens[this.cursor + offset];
  }

  /** Moves the cursor to the token at `offset` (doc.ts prints single definitions); skips comments before. */
  seek(offset: number): void {
    this.cursor = this.indexAt(offset);
    this.nextComment = this.comments.findIndex((c) => c.start >= offset);
    if (this.nextComment < 0) this.nextComment = this.comments.length;
  }

  /** Prints the next token, which must be `expected` when given, with its comments. */
  token(expected?: string): Layout {
    const parts = this.take(expected);
    return [...parts.before, parts.text, ...parts.after];
  }

  /** Consumes the next token unprinted (an optional comma, an extra parenthesis); keeps its comments. */
  skip(expected?: string): Layout {
    const parts = this.take(expected);
    return [...parts.before, ...parts.after];
  }

  /** Consumes the next token and returns its pieces separately (a comma printed only in flat layout). */
  take(expected?: string): TokenParts {
    const token = this.tokens[this.cursor];
    if (token === undefined || (expected !== undefined && token.image !== expected)) {
      const found = token?.image ?? 'end of file';
      throw new InternalError(`formatter expected '${expected}' but found '${found}'`);
    }
    this.cursor++;
    const before = this.commentsBefore(token.startOffset).map((c) =>
      c.trailing ? lineSuffix(` ${c.text}`) : ownLine(c.text),
    );
    const after: Layout[] = [];
    const next = this.tokens[this.cursor]?.startOffset ?? Infinity;
    const comment = this.comments[this.nextComment];
    if (comment !== undefined && comment.trailing && comment.start < next) {
      this.nextComment++;
      after.push(lineSuffix(` ${comment.text}`));
    }
    return { before, text: token.image, after };
  }

  /** The end offset of the last token taken (0 before the first). */
  previousEnd(): number {
    const last = this.tokens[this.cursor - 1];
    return last === undefined ? 0 : last.startOffset + last.image.length;
  }

  /** Takes the comments not yet printed that start before `offset` (a body prints them one a line). */
  commentsBefore(offset: number): Comment[] {
    const taken: Comment[] = [];
    while (this.nextComment < this.comments.length && this.comments[this.nextComment].start < offset) {
      taken.push(this.comments[this.nextComment++]);
    }
    return taken;
  }

  /** Whether any comment lies in [start, end). */
  hasComment(start: number, end: number): boolean {
    return this.comments.some((c) => c.start >= start && c.start < end);
  }

  /** The index of the token starting at `offset`. */
  indexAt(offset: number): number {
    let low = 0;
    let high = this.tokens.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.tokens[middle].startOffset < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Whether every comment has been printed (checked once the whole module is). */
  get done(): boolean {
    return this.cursor === this.tokens.length && this.nextComment === this.comments.length;
  }
}

/** Whether the text between two offsets holds an empty line. */
export function hasBlankLine(text: string, start: number, end: number): boolean {
  return /\n[ \t\r]*\n/.test(text.slice(start, end));
}

// Line comments are skipped by the lexer, so they are found in the gaps between tokens, where only
// whitespace and comments can be (a file is formatted only when it lexes without errors).
function findComments(text: string, tokens: IToken[]): Comment[] {
  const comments: Comment[] = [];
  let gapStart = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const gapEnd = i < tokens.length ? tokens[i].startOffset : text.length;
    for (const match of text.slice(gapStart, gapEnd).matchAll(/\/\/[^\n\r]*/g)) {
      const start = gapStart + (match.index ?? 0);
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      const trailing = text.slice(lineStart, start).trim().length > 0;
      comments.push({ text: match[0].trimEnd(), start, end: start + match[0].length, trailing });
    }
    if (i < tokens.length) gapStart = tokens[i].startOffset + tokens[i].image.length;
  }
  return comments;
}
