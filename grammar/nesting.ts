// A parser that stops at MAX_NESTING levels of brackets and MAX_RULE_DEPTH open grammar rules: each level
// recurses through a dozen rules, so a few hundred nested parentheses would exhaust the process's stack
// (RangeError). Crossing a limit throws NestingTooDeep out of the parse; parseSource reports it (SEG1007).
import type { IToken } from 'chevrotain';
import { MAX_NESTING, MAX_RULE_DEPTH } from './limits.ts';
import { QuietParser } from './quiet-parser.ts';

/** The rules that open one level of nesting: each starts at a `(`, `[` or `{`, or an `if` (`else if`). */
const LEVEL_RULES = new Set(['parenthesized', 'list', 'suffix', 'block', 'settingBlock', 'ifStatement']);

/** Thrown at the token where a limit is crossed; not a recognition error, so recovery lets it through. */
export class NestingTooDeep extends Error {
  constructor(
    readonly token: IToken,
    readonly limit: 'levels' | 'rules',
  ) {
    super(`nesting limit (${limit}) crossed`);
  }
}

/** Chevrotain's (untyped) rule bookkeeping, wrapped to count levels. */
interface Internals {
  ruleInvocationStateUpdate(shortName: number, fullName: string, idxInCallingRule: number): void;
  ruleFinallyStateUpdate(): void;
  RULE_STACK_IDX: number;
}
const base = QuietParser.prototype as unknown as Internals;

export abstract class NestingLimitedParser extends QuietParser {
  private levels = 0;
  /** For each open rule, whether it opened a level. */
  private readonly opened: boolean[] = [];

  /** The token the parser is at (where a RangeError from deep recovery is reported). */
  nextToken(): IToken {
    return this.LA(1);
  }

  override reset(): void {
    super.reset();
    this.levels = 0;
    this.opened.length = 0;
  }

  ruleInvocationStateUpdate(shortName: number, fullName: string, idxInCallingRule: number): void {
    base.ruleInvocationStateUpdate.call(this, shortName, fullName, idxInCallingRule);
    const level = LEVEL_RULES.has(fullName);
    this.opened.push(level);
    if (level) this.levels++;
    const depth = (this as unknown as Internals).RULE_STACK_IDX + 1;
    if (this.levels > MAX_NESTING) throw new NestingTooDeep(this.LA(1), 'levels');
    if (depth > MAX_RULE_DEPTH) throw new NestingTooDeep(this.LA(1), 'rules');
  }

  ruleFinallyStateUpdate(): void {
    base.ruleFinallyStateUpdate.call(this);
    if (this.opened.pop()) this.levels--;
  }
}
