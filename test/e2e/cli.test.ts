// The segc command end to end: spawns `node bin/segc.mjs`, checks exit codes, the exact text of diagnostics,
// determinism of `graph` and `wgsl`, and what `run` writes (metrics, summary, checkpoint) on lavapipe.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tiny = 'test/fixtures/experiments/tiny.seg';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from the repository root; never rejects, the exit code is part of the result. */
function segc(...args: string[]): Promise<Result> {
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['bin/segc.mjs', ...args],
      { cwd: root, env, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Diagnostics name files by absolute path; strip the checkout's location so the pinned text is portable. */
const portable = (text: string) => text.replaceAll(`${root}/`, '');

/** Splits `segc wgsl` output into kernels, each starting at its `// kernel NAME` line. */
const kernels = (text: string) => text.split(/^(?=\/\/ kernel )/m).filter((k) => k.length > 0);
/** The leading `// ` comment lines of a kernel. */
const header = (kernel: string) =>
  kernel.split('\n').filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('// ')));

let wgslOnce: Promise<Result> | undefined;
/** `segc wgsl tiny.seg`, spawned once and shared by the tests that only read it. */
const tinyWgsl = () => (wgslOnce ??= segc('wgsl', tiny));

const noStackTrace = (r: Result) => expect(r.stderr).not.toMatch(/^ {4}at /m);

describe('segc graph', () => {
  it('prints the training and evaluation IR, identically on every run', async () => {
    const [a, b] = [await segc('graph', tiny), await segc('graph', tiny)];
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    expect(a.stdout).toMatch(/^# training step of 'tiny' \(forward, backward, state updates\)\n/);
    expect(a.stdout).toContain('\n# evaluation (forward, metrics)\n');
    for (const op of [
      '= convolution ',
      '= convolution_grad_weight ',
      '= pool_grad ',
      'output gradient "grad:',
    ]) {
      expect(a.stdout).toContain(op);
    }
    expect(a.stdout).toContain('output gradient "grad:down.0.conv1.0.weight" = %');
    expect(b.stdout).toBe(a.stdout);
  });
});

describe('segc wgsl', () => {
  it('prints every kernel with a header, identically on every run', async () => {
    const [a, b] = [await tinyWgsl(), await segc('wgsl', tiny)];
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    expect(b.stdout).toBe(a.stdout);
    const all = kernels(a.stdout);
    expect(all.length).toBeGreaterThan(50);
    for (const k of all) {
      expect(k).toMatch(/^\/\/ kernel (train|eval)_\S+\n\/\/ kind: \w+, workgroup size \d+\n/);
      expect(k).toContain('@compute @workgroup_size(');
    }
    const origins = all.flatMap(header).filter((l) => l.startsWith('// from: '));
    expect(origins.length).toBeGreaterThan(0);
    expect(origins.some((l) => /\b(losses|nets)\.seg:\d+:\d+/.test(l))).toBe(true);
    // the first conv of the U-Net comes from conv_bn_relu in std/nets
    expect(all.find((k) => k.startsWith('// kernel train_001_convolution\n'))).toContain(
      '\n// from: nets.seg:5:50\n',
    );
  });

  it('--kernel keeps only kernels whose name contains the filter', async () => {
    const r = await segc('wgsl', tiny, '--kernel', 'convolution_grad_weight');
    expect(r.code).toBe(0);
    const names = kernels(r.stdout).map((k) => k.split('\n')[0].slice('// kernel '.length));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toContain('convolution_grad_weight');
    const everything = kernels((await tinyWgsl()).stdout);
    expect(names.length).toBe(
      everything.filter((k) => k.split('\n')[0].includes('convolution_grad_weight')).length,
    );
  });

  it('--kernel matching nothing is an error naming the kernels', async () => {
    const none = await segc('wgsl', tiny, '--kernel', 'no_such_kernel');
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(
      /^segc: error SEG6087: No kernel name contains 'no_such_kernel'; the \d+ kernels are named 'train_000_/,
    );
  });

  it('--out writes each kernel to DIR/<name>.wgsl, the same text as printed, and never over saved files', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'segc-wgsl-')), 'kernels');
    const r = await segc('wgsl', tiny, '--out', dir);
    expect(r.code, r.stderr).toBe(0);
    const printed = kernels((await tinyWgsl()).stdout);
    expect(r.stdout).toBe(`wrote ${printed.length} kernels to ${dir}\n`);
    const first = printed[0].split('\n')[0].slice('// kernel '.length);
    expect(readFileSync(join(dir, `${first}.wgsl`), 'utf8').trim()).toBe(printed[0].trim());
    const again = await segc('wgsl', tiny, '--out', dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `segc: error SEG6088: '${dir}' already holds .wgsl files; choose another --out or move them away.\n`,
    );
  });
});

describe('segc check --explain', () => {
  it('prints the loss terms and the docs of exactly the definitions the experiment uses', async () => {
    const r = await segc('check', 'experiments/quickstart.seg', '--explain');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'experiment quickstart: the loss is reported with its terms ce, l1.',
    );
    for (const used of ['unet', 'conv_bn_relu', 'ce', 'proportion', 'sigmoid_mode', 'bce_with_logits']) {
      expect(r.stdout, used).toContain(`\n## ${used}\n`);
    }
    for (const unused of ['focal', 'dice', 'ce_l1', 'unet_resnet'])
      expect(r.stdout, unused).not.toContain(`\n## ${unused}\n`);
    expect(r.stdout).toContain(
      '```seg\n' +
        'net unet(x: image[N,Cin,H,W], in: int = 3, classes: int = 2, widths = [64, 128, 256, 512])\n```',
    );
  });
});

describe('segc plan', () => {
  it('reports kernel counts and planned memory, smaller with sharing', async () => {
    const r = await segc('plan', tiny);
    expect(r.code).toBe(0);
    const memory = [
      ...r.stdout.matchAll(
        /memory: (\d+) bytes \([\d.]+ MiB\) without sharing, (\d+) bytes \([\d.]+ MiB\) allocated/g,
      ),
    ];
    expect(r.stdout).toMatch(/^train: \d+ kernels \(elementwise \d+, conv \d+/);
    expect(memory).toHaveLength(2);
    for (const m of memory) expect(Number(m[2])).toBeLessThan(Number(m[1]));
  });
});

describe('segc check', () => {
  it('is silent and succeeds on a valid experiment', async () => {
    expect(await segc('check', tiny)).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('accepts a module of definitions only (the spec example my_losses.seg)', async () => {
    expect(await segc('check', 'test/fixtures/spec-examples/my_losses.seg')).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('fails on the first bad file of several', async () => {
    const r = await segc('check', tiny, 'test/fixtures/cli/unknown-name.seg');
    expect(r.code).toBe(1);
    expect(portable(r.stderr)).toMatch(/^test\/fixtures\/cli\/unknown-name\.seg:10:21: error SEG2001: /);
  });
});

// Each malformed fixture and the exact diagnostic `segc check` prints for it.
const diagnostics: Record<string, string> = {
  'syntax-error': `
test/fixtures/cli/syntax-error.seg:12:3: error SEG1003: Expected ')' but found 'train'.
    train { epochs = 1, batch = 2, seed = 1 }
    ^~~~~
  hint: the '(' at line 11, column 19 is not closed`,
  'unknown-name': `
test/fixtures/cli/unknown-name.seg:10:21: error SEG2001: Unknown name 'yy'.
    loss = ce(logits, yy) + alpha * mean(abs(proportion(softmax[C](T * logits), y) - proportion(onehot(y), y)))
                      ^~
  hint: Did you mean 'y'?`,
  'missing-dim': `
test/fixtures/cli/missing-dim.seg:10:14: error SEG3002: 'f32[N=2,C=3,H=8,W=8]' has no dimension 'D'.
    loss = sum[D](logits)
               ^`,
  'arg-count': `
test/fixtures/cli/arg-count.seg:10:10: error SEG4001: Wrong number of arguments to 'ce': expected 2 to 4, found 1.
    loss = ce(logits) + alpha * mean(abs(proportion(softmax[C](T * logits), y) - proportion(onehot(y), y)))
           ^~~~~~~~~~`,
  'unknown-kwarg': `
test/fixtures/cli/unknown-kwarg.seg:7:54: error SEG4002: Unknown keyword argument 'depth' for 'unet'.
    model = unet(in = 3, classes = 3, widths = [2, 4], depth = 3)
                                                       ^~~~~`,
  'unknown-option': `
test/fixtures/cli/unknown-option.seg:12:11: error SEG5002: Unknown option 'epcohs' for 'train'; valid options are 'epochs', 'batch', 'seed', 'accumulate', 'clip_norm'.
    train { epcohs = 3, batch = 2, seed = 1 }
            ^~~~~~
  hint: Did you mean 'epochs'?`,
  'missing-module': `
test/fixtures/cli/missing-module.seg:3:1: error SEG2002: Cannot find module 'std/nosuch'.
  import std/nosuch { unet }
  ^~~~~~~~~~~~~~~~~~~~~~~~~~`,
};

describe('diagnostics', () => {
  it.each(Object.entries(diagnostics))(
    '%s: exit 1 and the rendered diagnostic, no stack trace',
    async (name, text) => {
      const r = await segc('check', `test/fixtures/cli/${name}.seg`);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      noStackTrace(r);
      expect(portable(r.stderr)).toBe(`${text.slice(1)}\n`);
    },
  );

  it('graph and wgsl report the same diagnostic as check', async () => {
    for (const command of ['graph', 'wgsl']) {
      const r = await segc(command, 'test/fixtures/cli/unknown-name.seg');
      expect(r.code, command).toBe(1);
      expect(r.stdout, command).toBe('');
      expect(portable(r.stderr), command).toBe(`${diagnostics['unknown-name'].slice(1)}\n`);
    }
  });
});

describe('segc run', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'segc-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('--device gpu without a hardware adapter is one line and leaves no output folder', async () => {
    const out = join(scratch, 'no-gpu');
    const r = await segc('run', tiny, '--device', 'gpu', '--out', out);
    noStackTrace(r);
    if (r.code === 0) {
      // A machine with a GPU trains the run.
      expect(existsSync(join(out, 'summary.json'))).toBe(true);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^segc: error SEG6011: --device gpu needs a hardware adapter, but only '.*' is present\.$/m,
      );
      expect(existsSync(out)).toBe(false);
    }
  });

  it('names a missing file in one line', async () => {
    const r = await segc('run', 'test/fixtures/cli/does-not-exist.seg', '--out', join(scratch, 'missing'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    noStackTrace(r);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe("segc: error: cannot read 'test/fixtures/cli/does-not-exist.seg': no such file.");
  });

  it('--set section.key overrides a setting; an unknown key lists the valid ones', async () => {
    const bad = await segc('run', tiny, '--set', 'train.epcohs=2', '--out', join(scratch, 'epcohs'));
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      "error SEG5002: Unknown option 'epcohs' for 'train' in --set; valid options are 'epochs', " +
        "'batch', 'seed', 'accumulate', 'clip_norm'.\n  hint: Did you mean 'epochs'?",
    );
    const section = await segc('run', tiny, '--set', 'schedule=cosine', '--out', join(scratch, 'section'));
    expect(section.stderr).toBe(
      "error SEG5040: 'schedule' is a section, not a param: --set takes one of its options " +
        "('schedule.NAME=VALUE'); the schedule itself is chosen in the experiment.\n",
    );
    const good = await segc(
      'run',
      tiny,
      '--set',
      'train.epochs=2',
      '--set',
      'optimizer.lr=0.01',
      '--out',
      join(scratch, 'two'),
    );
    expect(good.code).toBe(0);
    const epochs = good.stdout.split('\n').filter((l) => l.startsWith('epoch '));
    expect(epochs.map((l) => l.split('  ').slice(0, 2).join('  '))).toEqual([
      'epoch 1/2  lr 1.00e-2',
      'epoch 2/2  lr 1.00e-2',
    ]);
  });

  it('Ctrl-C stops a run with exit code 130 and says how to resume it; the resume continues it', async () => {
    const out = join(scratch, 'interrupted');
    const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
    const child = spawn(
      process.execPath,
      ['bin/segc.mjs', 'run', tiny, '--out', out, '--set', 'train.epochs=500'],
      {
        cwd: root,
        env,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('epoch 2/500')) child.kill('SIGINT');
      });
      child.on('exit', (exitCode) => done(exitCode));
    });
    expect(code).toBe(130);
    noStackTrace({ code: 130, stdout, stderr });
    expect(stderr).toContain(
      `segc: interrupted. The epochs done are saved: resume with 'segc run ${tiny} --resume ${out}'.`,
    );
    const resumed = await segc('run', tiny, '--resume', out, '--set', 'train.epochs=3');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/segc: resuming tiny after epoch [12] /);
  });

  it('segc plan --memory compares fused and unfused plans', async () => {
    const r = await segc('plan', tiny, '--memory');
    expect(r.code, r.stderr).toBe(0);
    const kernels = [...r.stdout.matchAll(/^ *train: (\d+) kernels/gm)].map((m) => Number(m[1]));
    expect(kernels).toHaveLength(2);
    expect(kernels[0]).toBeLessThan(kernels[1]);
    expect(r.stdout).toMatch(/without fusion:\n  train: \d+ kernels/);
    expect(r.stdout).toMatch(/peak live \d+ bytes/);
  });

  it('rejects an unknown --set param before touching the GPU', async () => {
    const r = await segc('run', tiny, '--set', 'nosuch=1', '--out', join(scratch, 'nosuch'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    noStackTrace(r);
    expect(r.stderr).toBe(
      "error SEG5043: Unknown param 'nosuch' in --set; params are alpha, T.\n" +
        "  hint: Declare it in the experiment ('param nosuch = ...') to set it from the command line.\n",
    );
    const near = await segc('run', tiny, '--set', 'alpah=1', '--out', join(scratch, 'alpah'));
    expect(near.stderr).toBe(
      "error SEG5043: Unknown param 'alpah' in --set; params are alpha, T.\n  hint: Did you mean 'alpha'?\n",
    );
  });

  it('type-checks --set values against the declaration: a number for a param, the catalogue type for a setting', async () => {
    const r = await segc(
      'run',
      tiny,
      '--set',
      'alpha=half',
      '--set',
      'train.epochs=two',
      '--set',
      'eval.select=miou',
    );
    expect(r.code).toBe(1);
    noStackTrace(r);
    expect(r.stderr).toContain("The param 'alpha' takes a number in --set, got the name 'half'.");
    expect(r.stderr).toContain("Option 'epochs' of 'train' (in --set) must be a whole number >= 1");
    // A name is a symbol, as in the file: selecting on miou is valid, so it is not among the errors.
    expect(r.stderr).not.toContain('select');
  });

  it('trains one epoch, writes metrics, summary and checkpoint, then refuses to overwrite them', async () => {
    const out = join(scratch, 'r1');
    const r = await segc('run', tiny, '--out', out, '--set', 'alpha=0.5');
    expect(r.code, r.stderr).toBe(0);
    noStackTrace(r);
    expect(r.stdout).toContain(`output in ${out}\n`);
    const epoch = r.stdout.split('\n').find((l) => l.startsWith('epoch 1/1'));
    expect(epoch).toMatch(
      / lr 1\.00e-3 +loss \d+\.\d{4} +ce \d+\.\d{4} +l1 \d+\.\d{4} .*\| val dice \d\.\d{4}/,
    );

    const metricsText = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
    const lines = metricsText.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const metrics = JSON.parse(lines[0]) as Record<string, number>;
    for (const key of ['epoch', 'lr', 'loss', 'ce', 'l1', 'dice', 'miou', 'proportion_error']) {
      expect(typeof metrics[key], key).toBe('number');
      expect(Number.isFinite(metrics[key]), key).toBe(true);
    }
    expect(metrics.epoch).toBe(1);
    expect(metrics.lr).toBe(1e-3);
    // the printed values are the logged ones, and the loss is ce + alpha * l1 with alpha = 0.5
    expect(epoch).toContain(`ce ${metrics.ce.toFixed(4)}`);
    expect(epoch).toContain(`l1 ${metrics.l1.toFixed(4)}`);
    expect(metrics.loss).toBeCloseTo(metrics.ce + 0.5 * metrics.l1, 5);
    for (const key of ['dice', 'miou', 'proportion_error']) {
      expect(metrics[key], key).toBeGreaterThanOrEqual(0);
      expect(metrics[key], key).toBeLessThanOrEqual(1);
    }

    const summaryText = readFileSync(join(out, 'summary.json'), 'utf8');
    const summary = JSON.parse(summaryText) as {
      experiment: string;
      final: { values: Record<string, number> };
    };
    expect(summary.experiment).toBe('tiny');
    expect(summary.final.values.dice).toBe(metrics.dice);

    const checkpoint = await readSafetensorsFile(join(out, 'model.safetensors'));
    const name = Object.keys(checkpoint.tensors).find((n) => n.endsWith('conv1.0.weight'));
    expect(name).toBeDefined();
    const first = checkpoint.tensors['down.0.conv1.0.weight'];
    expect(first.dtype).toBe('F32');
    expect(first.shape).toEqual([2, 3, 3, 3]);
    expect(Array.from(first.data as Float32Array).every(Number.isFinite)).toBe(true);
    const checkpointBytes = readFileSync(join(out, 'model.safetensors'));

    const again = await segc('run', tiny, '--out', out, '--set', 'alpha=0.5');
    expect(again.code).toBe(1);
    noStackTrace(again);
    expect(again.stderr).toContain(
      `segc: error SEG6081: Output directory '${out}' already holds a run; choose another --out or move it away.\n`,
    );
    expect(again.stdout).not.toContain('epoch 1/1');
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(metricsText);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(summaryText);
    expect(readFileSync(join(out, 'model.safetensors')).equals(checkpointBytes)).toBe(true);

    // segc test on the saved (selected) model gives the run's evaluation again (alpha 0.5 from --set, as in
    // the run).
    const tested = await segc('test', tiny, '--checkpoint', out, '--set', 'alpha=0.5');
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toContain(
      `segc test: tiny on val (2 images) from ${join(out, 'model-best.safetensors')}: dice ` +
        `${metrics.dice.toFixed(4)}`,
    );
    const wrongSplit = await segc('test', tiny, '--checkpoint', out, '--split', 'holdout');
    expect(wrongSplit.code).toBe(1);
    expect(wrongSplit.stderr).toBe(
      "segc: error SEG6086: Unknown split 'holdout'; the splits are train, val and test.\n",
    );
    const noTest = await segc('test', tiny, '--checkpoint', out, '--split', 'test');
    // (after the device opened: the run's overrides decide the dataset)
    expect(noTest.code).toBe(1);
    expect(noTest.stderr.trim().split('\n').pop()).toBe(
      "segc: error SEG6105: Cannot test on 'test': the dataset 'shapes' has no such split.",
    );

    // --last tests the model after the last epoch; a damaged model file is an error naming it, not a trace.
    const last = await segc('test', tiny, '--checkpoint', out, '--set', 'alpha=0.5', '--last');
    expect(last.stdout).toContain(`from ${join(out, 'model.safetensors')}: dice ${metrics.dice.toFixed(4)}`);
    const damaged = join(out, 'model-best.safetensors');
    writeFileSync(damaged, readFileSync(damaged).subarray(0, 40));
    const broken = await segc('test', tiny, '--checkpoint', out);
    expect(broken.code).toBe(1);
    noStackTrace(broken);
    expect(broken.stderr).toContain(`segc: error SEG6068: Cannot test: ${damaged}: `);

    // An --out that is a file is refused in one line.
    const file = join(out, 'summary.json');
    const onFile = await segc('run', tiny, '--out', file);
    expect(onFile.code).toBe(1);
    noStackTrace(onFile);
    expect(onFile.stderr).toContain(`segc: error SEG6080: --out '${file}' is a file, not a directory`);
  }, 180_000);
});
