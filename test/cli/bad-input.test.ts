// Bad input never crashes segc: every command, given a missing file, a bad --set, a damaged model, training
// state or inputs file, a device that is not there or a dataset option out of range, exits 1 with a message
// and no stack trace (a stack is printed only for segc's own bugs, as "internal error").
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../runtime/checkpoint/safetensors.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'segc-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = 'test/fixtures/experiments/tiny.seg';
const missing = join(dir, 'missing.seg');
const garbage = join(dir, 'garbage.safetensors');
writeFileSync(garbage, 'this is not a safetensors file at all');
const damagedRun = join(dir, 'damaged-run');
mkdirSync(damagedRun);
for (const name of ['model.safetensors', 'model-best.safetensors', 'checkpoint.safetensors'])
  writeFileSync(join(damagedRun, name), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 34, 120, 34]));
const smallShapes = join(dir, 'small-shapes.seg');
writeFileSync(
  smallShapes,
  [
    'import std/losses { ce }',
    'import std/nets { unet }',
    'experiment small {',
    '  data = shapes(size = [4, 4], classes = 3, train = 2, val = 2)',
    '  model = unet(in = 3, classes = 3, widths = [2, 4])',
    '  loss = ce(logits, y)',
    '  optimizer = adam(lr = 1e-3)',
    '  train { epochs = 1, batch = 2 }',
    '}',
    '',
  ].join('\n'),
);
const aFile = join(dir, 'a-file');
writeFileSync(aFile, '');
// Valid inputs for ce: logits z [1, 3, 2, 2] and labels y [1, 2, 2].
const inputs = join(dir, 'inputs.safetensors');
writeFileSync(
  inputs,
  encodeSafetensors({
    z: { dtype: 'F32', shape: [1, 3, 2, 2], data: Float32Array.from({ length: 12 }, (_, i) => i / 10) },
    y: { dtype: 'I64', shape: [1, 2, 2], data: BigInt64Array.from([0n, 1n, 2n, 1n]) },
  }),
);

interface Result {
  code: number;
  output: string;
}

function segc(args: string[]): Promise<Result> {
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
  return new Promise((done) => {
    execFile(process.execPath, ['bin/segc.mjs', ...args], { cwd: root, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, output: stdout + stderr });
    });
  });
}

/** Each command with bad input, and a piece of the message it must print. */
const cases: [string, string[], RegExp][] = [
  ['check: a missing file', ['check', missing], /cannot read .*missing\.seg/],
  ['graph: a missing file', ['graph', missing], /cannot read .*missing\.seg/],
  ['wgsl: a missing file', ['wgsl', missing], /cannot read .*missing\.seg/],
  ['plan: a missing file', ['plan', missing], /cannot read .*missing\.seg/],
  ['fmt: a missing file', ['fmt', missing], /missing\.seg/],
  ['doc: a missing file', ['doc', missing], /missing\.seg/],
  [
    'wgsl: a kernel name nothing has',
    ['wgsl', tiny, '--kernel', 'no_such_kernel'],
    /No kernel name contains/,
  ],
  ['check: shapes(size = [4, 4])', ['check', smallShapes], /SEG5004: Option 'size' of 'shapes' must be/],
  ['run: shapes(size = [4, 4])', ['run', smallShapes, '--out', join(dir, 'small')], /SEG5004: Option 'size'/],
  ['run: --set without a value', ['run', tiny, '--set', 'train.epochs'], /expected key=value/],
  ['run: --set of a bad value', ['run', tiny, '--set', 'train.epochs=-1'], /SEG5004/],
  ['run: --set of an unknown key', ['run', tiny, '--set', 'train.epoch=2'], /SEG5002/],
  ['run: --out naming a file', ['run', tiny, '--out', aFile], /is a file, not a directory/],
  ['run: --resume of a missing run', ['run', tiny, '--resume', join(dir, 'nothing')], /nothing/],
  ['run: --resume of a damaged state', ['run', tiny, '--resume', damagedRun], /checkpoint\.safetensors/],
  ['test: a damaged model', ['test', tiny, '--checkpoint', damagedRun], /model-best\.safetensors/],
  ['test: a missing run', ['test', tiny, '--checkpoint', join(dir, 'nothing')], /nothing/],
  [
    'grad: a missing inputs file',
    ['grad', 'stdlib/losses.seg', '--loss', 'ce', '--inputs', join(dir, 'no.safetensors'), '--out', aFile],
    /no\.safetensors/,
  ],
  [
    'grad: a damaged inputs file',
    ['grad', 'stdlib/losses.seg', '--loss', 'ce', '--inputs', garbage, '--out', aFile],
    /garbage\.safetensors/,
  ],
  ['wgsl: --out through a file', ['wgsl', tiny, '--out', join(aFile, 'kernels')], /ENOTDIR: not a directory/],
  [
    'grad: --out through a file',
    [
      'grad',
      'stdlib/losses.seg',
      '--loss',
      'ce',
      '--inputs',
      inputs,
      '--out',
      join(aFile, 'out.safetensors'),
    ],
    /ENOTDIR: not a directory, open '.*a-file\/out\.safetensors\.tmp-/,
  ],
  [
    'grad: a loss that is not there',
    ['grad', 'stdlib/losses.seg', '--loss', 'no_such_loss', '--inputs', garbage, '--out', aFile],
    /no_such_loss/,
  ],
];

/** A line of a JavaScript stack trace: `    at fn (file:line:col)` or `    at file:line:col`. */
const STACK_LINE = /^\s+at .*:\d+:\d+\)?$/m;

describe('bad input is a message, never a stack trace', () => {
  it.each(cases)('%s', async (_, args, message) => {
    const { code, output } = await segc(args);
    expect(output).not.toMatch(STACK_LINE);
    expect(output).not.toContain('internal error');
    expect(output).toMatch(message);
    expect(code).toBe(1);
  });

  it('--device gpu without a hardware GPU says so (on a machine with one, it trains)', async () => {
    const { code, output } = await segc(['run', tiny, '--device', 'gpu', '--out', join(dir, 'gpu')]);
    expect(output).not.toMatch(STACK_LINE);
    if (code !== 0) expect(output).toMatch(/--device gpu needs a hardware adapter|no GPU adapter/i);
  });
});
