// Statements at staging time: `let`, assignment, `if`, `for` (unrolled) and `return`. A recovering Stager
// reports an error in a statement and goes on: a `let` whose value failed binds a poison value (its uses stay
// silent); an `if` or `for` that cannot run ends the body with a poison result.
import type { Statement } from '../../grammar/index.ts';
import type { Env, Stager } from './stager.ts';
import type { Value } from './values.ts';
import { Poisoned, describeValue, fail } from './values.ts';

/** Runs statements; returns the value of a `return`, if one ran. */
export function execute(s: Stager, statements: Statement[], env: Env): Value | undefined {
  for (const statement of statements) {
    let result: Value | undefined;
    try {
      result = executeOne(s, statement, env);
    } catch (error) {
      if (!s.recovering) throw error;
      // What the statement did is unknown, and so is everything after it.
      return s.absorb(error);
    }
    if (result) return result;
  }
  return undefined;
}

function executeOne(s: Stager, statement: Statement, env: Env): Value | undefined {
  switch (statement.kind) {
    case 'let':
    case 'assign':
      env.vars.set(statement.name.name, s.operand(statement.value, env));
      return undefined;
    case 'return':
      return s.operand(statement.value, env);
    case 'if': {
      const condition = s.operand(statement.condition, env);
      const branch = s.truth(condition, statement.condition.span) ? statement.then : statement.else;
      return branch ? execute(s, branch, env) : undefined;
    }
    case 'for': {
      const iterable = s.operand(statement.iterable, env);
      if (iterable.kind === 'poison') throw new Poisoned();
      if (iterable.kind !== 'list')
        return fail('SEG3003', statement.iterable.span, 'a list to loop over', describeValue(iterable));
      for (const item of iterable.items) {
        s.budget.iterate(statement.span);
        if (statement.destructure) {
          if (item.kind !== 'list' || item.items.length !== statement.targets.length) {
            fail('SEG4031', statement.iterable.span, statement.targets.length);
          }
          statement.targets.forEach((t, i) => env.vars.set(t.name, item.items[i]));
        } else {
          env.vars.set(statement.targets[0].name, item);
        }
        const result = execute(s, statement.body, env);
        if (result) return result;
      }
      return undefined;
    }
  }
}
