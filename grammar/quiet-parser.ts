// A CstParser whose error recovery reports one error per mistake: after an error, follow-on errors are
// dropped until the parser has matched a few tokens again (as Bison does), and never two at one token. It
// also keeps one parse from changing how a later one recovers (see attemptInRepetitionRecovery below).
import { CstParser, type IRecognitionException, type TokenType } from 'chevrotain';

/** Tokens the parser must match after an error before it reports another one (as Bison's error recovery). */
const QUIET_AFTER_ERROR = 3;

/** Chevrotain's (untyped) internals that SegParser hooks to keep follow-on errors quiet. */
interface Internals {
  SAVE_ERROR(error: IRecognitionException): IRecognitionException;
  consumeInternal(tokType: TokenType, idx: number, options: unknown): unknown;
  tokenMatcher(token: unknown, tokType: TokenType): boolean;
  _errors: IRecognitionException[];
  firstAfterRepMap: Record<number, unknown>;
  attemptInRepetitionRecovery(...args: unknown[]): void;
}
const base = CstParser.prototype as unknown as Internals;

export abstract class QuietParser extends CstParser {
  /** Tokens matched since the last error (reported or not); a new error is reported only after enough. */
  private matchedSinceError = QUIET_AFTER_ERROR;
  /** The follow-token caches of repetition recovery, one per walker kind (see the constructor). */
  private readonly followsByWalker = new Map<unknown, Record<number, unknown>>();

  constructor(...args: ConstructorParameters<typeof CstParser>) {
    super(...args);
    // Chevrotain caches "the token after this repetition" under a key of rule, repetition kind and
    // occurrence, but after a separator error it files a MANY_SEP's entry under the AT_LEAST_ONE_SEP kind
    // (repetitionSepSecondInternal). So in `suffix`, where a call's MANY_SEP and an index's
    // AT_LEAST_ONE_SEP are both occurrence 0, a bad call argument (`g(1 = 2)`) cached ')' as what follows
    // `[A, B`, and every later `x[A, B]` in the process (the stdlib's too) became a false "Expected ')'".
    // Each walker (one per repetition kind) gets its own cache, so no entry can stand for another's.
    const self = this as unknown as Internals;
    const attempt = self.attemptInRepetitionRecovery;
    if (typeof attempt === 'function') {
      self.attemptInRepetitionRecovery = function (this: Internals, ...rest: unknown[]): void {
        const walker = rest[5];
        const parser = this as unknown as QuietParser;
        let follows = parser.followsByWalker.get(walker);
        if (follows === undefined) {
          follows = {};
          parser.followsByWalker.set(walker, follows);
        }
        this.firstAfterRepMap = follows;
        attempt.apply(this, rest);
      };
    }
  }

  /** Called by setting `input`: nothing of the previous input (errors, counters, recovery caches) stays. */
  override reset(): void {
    super.reset();
    this.matchedSinceError = QUIET_AFTER_ERROR;
    const self = this as unknown as Internals;
    this.followsByWalker.clear();
    self.firstAfterRepMap = {};
  }

  /**
   * Error recovery resumes parsing where the mistake may still confuse it (a dangling `+` takes the next
   * setting's name as its operand, then stumbles on its `=`): an error is kept only when at least
   * QUIET_AFTER_ERROR tokens were matched since the previous one, so one mistake reports one error.
   */
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    const saved = base.SAVE_ERROR.call(this, error);
    const self = this as unknown as Internals;
    const errors = self._errors;
    const offset = error.token.startOffset;
    const repeated = errors.slice(0, -1).some((e) => e.token.startOffset === offset);
    if (this.matchedSinceError < QUIET_AFTER_ERROR || repeated) errors.pop();
    this.matchedSinceError = 0;
    return saved;
  }

  consumeInternal(tokType: TokenType, idx: number, options: unknown): unknown {
    const self = this as unknown as Internals;
    const matches = self.tokenMatcher(this.LA(1), tokType);
    const token = base.consumeInternal.call(this, tokType, idx, options);
    if (matches) this.matchedSinceError++;
    return token;
  }
}
