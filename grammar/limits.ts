// The grammar phase's limits (docs/limits.md): far below what would exhaust the process's stack or memory,
// far above what a real program needs. Each one crossed is a diagnostic at the place it is crossed.

/** Characters in one source file (SEG1006): the stdlib's largest module is under 20,000. */
export const MAX_SOURCE_CHARS = 1_000_000;

/**
 * Tokens (names, numbers, strings, operators) in one source file (SEG1009): the stdlib's largest module has
 * under 1,500; parsing takes about 3 KB of memory and tens of microseconds per token.
 */
export const MAX_TOKENS = 50_000;

/**
 * Levels of `( )`, `[ ]`, `{ }` (parentheses, lists, calls, indices, blocks, setting blocks) and `if`s (an
 * `else if` is one level inside its `if`) (SEG1007).
 */
export const MAX_NESTING = 50;

/**
 * Grammar rules open at once (SEG1007): a level of parentheses opens 12, a block 3, a prefix '-' or 'not' 1,
 * so this bounds the chains that open no level (`- - - x`, `not not x`, `a ^ b ^ c ...`). The process's
 * stack holds about 1,700 (140 levels of parentheses).
 */
export const MAX_RULE_DEPTH = 800;

/**
 * Depth of an expression's tree (SEG1008): each operator, call, index, list or parenthesis around a
 * subexpression is a level; `a + b + c` is two deep (operators chain to the left). Bounds what every later
 * phase walks recursively (a loss of 3,000 `+` terms).
 */
export const MAX_EXPRESSION_DEPTH = 200;
