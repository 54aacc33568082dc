// Module resolution: std/... imports, missing names, and the built-in helpers std/losses lists as its
// exports.
import { describe, expect, it } from 'vitest';
import { resolveModules } from '../../compiler/resolve/index.ts';

const codes = (text: string) =>
  resolveModules('overlay.seg', text).diagnostics.map((d) => `${d.code} ${d.message}`);

describe('resolveModules', () => {
  it('imports definitions and the helpers onehot and valid from std/losses', () => {
    const resolved = resolveModules(
      'overlay.seg',
      'import std/losses { ce_l1, proportion, onehot, valid }\n',
    );
    expect(resolved.diagnostics).toEqual([]);
    expect([...resolved.entry.definitions.keys()].sort()).toEqual(['ce_l1', 'proportion']);
  });

  it('rejects a built-in from a module that does not export it, and a missing definition', () => {
    expect(codes('import std/nets { onehot }\n')).toEqual([
      "SEG2003 Module 'std/nets' has no definition 'onehot'.",
    ]);
    expect(codes('import std/losses { ce_l2 }\n')).toEqual([
      "SEG2003 Module 'std/losses' has no definition 'ce_l2'.",
    ]);
  });

  it('rejects a name defined or imported twice, at the later one', () => {
    expect(codes('import std/losses { ce }\nfn ce(x) = x\n')).toEqual([
      "SEG2004 'ce' is already imported on line 1.",
    ]);
    expect(codes('fn dice(x) = x\nimport std/losses { dice }\n')).toEqual([
      "SEG2004 'dice' is already defined on line 1.",
    ]);
    expect(codes('import std/losses { ce, ce }\n')).toEqual(["SEG2004 'ce' is already imported on line 1."]);
    expect(codes('fn f(x) = x\nfn f(x) = 2 * x\n')).toEqual(["SEG2004 'f' is already defined on line 1."]);
  });

  it('rejects an unknown type name in an annotation', () => {
    expect(codes('fn f(y: lables[N,S], k: int, w: [C]) = y\n')).toEqual(["SEG3005 Unknown type 'lables'."]);
  });
});
