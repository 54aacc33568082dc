// Checking every definition on made-up inputs finds no error where there is none: the standard library and
// every experiment and fixture outside the malformed corpus check clean (the corpus's module-* cases show
// the errors it finds), and the made-up inputs follow the annotations.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../grammar/index.ts';
import { resolveModules } from '../../compiler/resolve/index.ts';
import type { ModuleScope } from '../../compiler/resolve/index.ts';
import { checkDefinitions } from '../../compiler/stage/check-definitions.ts';

/** Every .seg file under `dir`, the malformed corpus and its pending cases excepted. */
function segFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith('malformed') ? [] : segFiles(path);
    return entry.name.endsWith('.seg') ? [path] : [];
  });
}

const clean = [...segFiles('stdlib'), ...segFiles('experiments'), ...segFiles('test/fixtures')].filter(
  (file) => resolveModules(file).diagnostics.length === 0,
);

/** A module of one source text, without imports. */
function module(text: string, file = '/virtual/defs.seg'): ModuleScope {
  const parsed = parseSource(text, file);
  expect(parsed.diagnostics).toEqual([]);
  const scope: ModuleScope = {
    file,
    module: parsed.module,
    definitions: new Map(),
    broken: new Set(),
  };
  for (const def of parsed.module.definitions) scope.definitions.set(def.name.name, { def, scope });
  return scope;
}

const messages = (text: string) => checkDefinitions(module(text)).map((d) => `${d.code} ${d.message}`);

describe('checking every definition', () => {
  it('finds the stdlib, the experiments and the fixtures clean', () => {
    expect(clean.length).toBeGreaterThan(20);
    const found = clean.flatMap((file) =>
      checkDefinitions(resolveModules(file).entry).map((d) => `${file}: ${d.message}`),
    );
    expect(found).toEqual([]);
  });

  it('stages [N,C,S] with 2-D and 3-D S, and labels as class indices', () => {
    // Only the 3-D inputs leave a D axis; a labels tensor is u8 [N,S].
    expect(messages('loss area(z: logits[N,C,S]) = mean[N,C](sum[H,W](z))\n')).toEqual([
      'SEG3003 Expected a scalar loss but found a tensor [D] (reduce it with mean or sum).',
    ]);
    expect(messages('fn f(y: labels[N,S]) = sum[C](onehot(y)) + sum[N,S](y * 0 + 1)\n')).toEqual([
      "SEG3003 Expected a float tensor or a number for '*' but found labels (class indices: use onehot(y) or valid(y)).",
    ]);
  });

  it('leaves out a definition whose inputs cannot be made up, and a setting fn', () => {
    // `t` has no annotation: it could be a tensor or a number, so `bce` is not staged.
    expect(messages('fn bce(z, t) = sum[K](z * t)\nfn stats() = normalise(imagenet)\n')).toEqual([]);
  });

  it('stages a call into a cycle of another module, which reports the recursion at its call', () => {
    const lib = module('fn a(p) = b(p)\nfn b(p) = a(p) + 1\n', '/virtual/lib.seg');
    const user = module('fn f(p: [N,C]) = a(p)\n');
    user.definitions.set('a', lib.definitions.get('a')!);
    const found = checkDefinitions(user).map((d) => `${d.span?.file}:${d.span?.line} ${d.message}`);
    expect(found).toEqual(["/virtual/lib.seg:2 Recursion through 'a' is not allowed."]);
  });

  it('names a cycle of calls once, from its first definition', () => {
    expect(messages('fn a(p) = b(p)\nfn b(p) = a(p) + 1\nfn c(p: [N,C]) = a(p)\n')).toEqual([
      "SEG4003 Recursion through 'a' → 'b' → 'a' is not allowed.",
    ]);
  });
});
