// The phases import one way, each through the entry point (index.ts) of the phases before it:
//   diagnostics → grammar → compiler: config → resolve → stage → autodiff → passes → codegen → compiler/index.ts
//   (the driver) → runtime → jobs → report → cli.
// The IR (compiler/ir/ and its op table compiler/ops/) and diagnostics/ may be imported by any later phase, file
// by file. Within a phase, files import each other freely. Only tests and bench reach into the float64 oracle.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Phases in order; a file belongs to the last (most specific) phase whose folder holds it. */
const PHASES = [
  'diagnostics',
  'grammar',
  'compiler/ir',
  'compiler/ops',
  'compiler/config',
  'compiler/resolve',
  'compiler/stage',
  'compiler/autodiff',
  'compiler/passes',
  'compiler/codegen',
  'compiler/index.ts',
  'runtime',
  'jobs',
  'report',
  'cli',
];
/** Phases any later phase may import from any file of. */
const SHARED = new Set(['diagnostics', 'compiler/ir', 'compiler/ops']);
/** Phases without one entry point: later phases may import any of their files. */
const OPEN = new Set(['runtime', 'jobs', 'report', 'cli']);
/** compiler/ir and compiler/ops are one layer: the IR is typed by the op table. */
const SAME_LAYER = [['compiler/ir', 'compiler/ops']];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => join(file, '..', m[1]));
}

const phaseOf = (file: string) =>
  PHASES.filter((p) => file === p || file.startsWith(`${p}/`)).pop() ?? 'outside';
const entryOf = (phase: string) => (phase.endsWith('.ts') ? phase : `${phase}/index.ts`);
const rank = (phase: string) => PHASES.indexOf(phase);

/** Why `file` may not import `target`, or undefined when it may. */
function violation(file: string, target: string): string | undefined {
  const from = phaseOf(file);
  const to = phaseOf(target);
  if (to === 'outside' || from === to) return undefined;
  if (SAME_LAYER.some((layer) => layer.includes(from) && layer.includes(to))) return undefined;
  if (rank(to) > rank(from)) return `a later phase (${to})`;
  if (SHARED.has(to) || OPEN.has(to)) return undefined;
  // Outside the compiler, its phases are one: the driver is their entry point.
  const entry =
    !from.startsWith('compiler') && to.startsWith('compiler/') ? 'compiler/index.ts' : entryOf(to);
  if (target === entry) return undefined;
  return `not ${entry}, the entry point of ${entry === 'compiler/index.ts' ? 'the compiler' : to}`;
}

const trees = ['diagnostics', 'grammar', 'compiler', 'runtime', 'jobs', 'report', 'cli'];

describe('layering', () => {
  it.each(trees)('%s/ imports only earlier phases, through their entry points', (tree) => {
    const offending = sources(tree).flatMap((file) =>
      imports(file).flatMap((target) => {
        const why = violation(file, target);
        return why ? [`${file} -> ${target}: ${why}`] : [];
      }),
    );
    expect(offending).toEqual([]);
  });

  it('knows a deep import, a later phase and an entry point when it sees one', () => {
    expect(violation('runtime/grad.ts', 'compiler/codegen/plan.ts')).toBe(
      'not compiler/index.ts, the entry point of the compiler',
    );
    expect(violation('compiler/index.ts', 'compiler/codegen/plan.ts')).toBe(
      'not compiler/codegen/index.ts, the entry point of compiler/codegen',
    );
    expect(violation('compiler/stage/graphs.ts', 'compiler/codegen/index.ts')).toBe(
      'a later phase (compiler/codegen)',
    );
    expect(violation('compiler/stage/graphs.ts', 'compiler/autodiff/index.ts')).toBe(
      'a later phase (compiler/autodiff)',
    );
    expect(violation('compiler/index.ts', 'compiler/autodiff/index.ts')).toBeUndefined();
    expect(violation('compiler/passes/fuse.ts', 'compiler/ir/types.ts')).toBeUndefined();
    expect(violation('grammar/parser.ts', 'diagnostics/messages.ts')).toBeUndefined();
    expect(violation('diagnostics/render.ts', 'grammar/index.ts')).toBe('a later phase (grammar)');
  });

  it('the float64 oracle is imported only by tests', () => {
    const users = trees
      .flatMap(sources)
      .filter(
        (file) =>
          !file.endsWith('oracle.ts') && imports(file).some((t) => t.endsWith('compiler/ir/oracle.ts')),
      );
    expect(users).toEqual([]);
  });
});
