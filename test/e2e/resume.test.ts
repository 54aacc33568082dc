// Step schedules of params and resuming a run: an interrupted run continued with --resume ends with the same
// weights, Adam state and scheduled alpha as an uninterrupted one (upstream restarts alpha on resume, quirk
// Q3).
import { copyFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { RunError, runExperiment } from '../../runtime/train/session.ts';
import { testCheckpoint } from '../../runtime/train/test-run.ts';
import { datasetSplits } from '../../runtime/train/evaluate.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { compileExperiment } from '../../compiler/index.ts';

const file = 'test/fixtures/experiments/alpha-step.seg';
const quiet = { log: () => {} };
const records = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('param step schedule and --resume', () => {
  const root = mkdtempSync(join(tmpdir(), 'segc-resume-'));
  const straight = join(root, 'straight');
  const resumed = join(root, 'resumed');

  it('multiplies alpha by its factor after every epoch, capped at max', async () => {
    await runExperiment(file, { ...quiet, out: straight });
    // 1.5, then x2 = 3, then x2 = 6 capped at 5.
    expect(records(straight).map((r) => r.params.alpha)).toEqual([1.5, 3, 5]);
    // The terms of ce_l1 stay `ce` and `l1` with a param as alpha, and the loss is ce + alpha * l1 each
    // epoch.
    for (const r of records(straight)) expect(r.loss).toBeCloseTo(r.ce + r.params.alpha * r.l1, 5);
  });

  it('resumes after an interruption with the same weights, moments and alpha as the uninterrupted run', async () => {
    await runExperiment(file, { ...quiet, out: resumed, stopAfter: 1 });
    expect(records(resumed).map((r) => r.params.alpha)).toEqual([1.5]);
    const lines: string[] = [];
    const summary = await runExperiment(file, { resume: resumed, log: (l) => lines.push(l) });
    expect(lines[1]).toBe(`segc: resuming alpha_step after epoch 1 (step 2) from ${resumed}`);
    expect(records(resumed).map((r) => r.params.alpha)).toEqual([1.5, 3, 5]);
    expect(summary.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const a = (await readSafetensorsFile(join(straight, 'checkpoint.safetensors'))).tensors;
    const b = (await readSafetensorsFile(join(resumed, 'checkpoint.safetensors'))).tensors;
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(Object.keys(a).some((k) => k.endsWith('.exp_avg_sq'))).toBe(true);
    for (const name of Object.keys(a)) {
      const diff = Math.max(
        ...Array.from(a[name].data as Float32Array, (v, i) => Math.abs(v - Number(b[name].data[i]))),
      );
      expect(diff, name).toBeLessThan(1e-6);
    }
    const lossesA = records(straight).map((r) => r.loss);
    expect(records(resumed).map((r) => r.loss)).toEqual(lossesA);
  });

  it('refuses to resume a finished run, or a state from another experiment', async () => {
    await expect(runExperiment(file, { ...quiet, resume: straight })).rejects.toThrow(
      new RunError(
        `Nothing to resume in '${straight}': all 3 epochs are done (raise train.epochs with --set).`,
        { code: 'SEG6102' },
      ),
    );
    await expect(
      runExperiment('test/fixtures/experiments/tiny.seg', { ...quiet, resume: straight }),
    ).rejects.toThrow(`it belongs to experiment 'alpha_step', not 'tiny'.`);
  });

  it('segc test evaluates the saved model: the same metrics and losses as the last evaluation of the run', async () => {
    const summary = JSON.parse(readFileSync(join(straight, 'summary.json'), 'utf8'));
    const lines: string[] = [];
    const result = await testCheckpoint(file, {
      checkpoint: straight,
      savePredictions: true,
      last: true,
      log: (l) => lines.push(l),
    });
    // The saved class maps are the float64 oracle's argmax of the saved model on the validation images.
    const { tensors } = await readSafetensorsFile(join(straight, 'predictions-val.safetensors'));
    expect(tensors.predictions.shape).toEqual([4, 16, 16]);
    const compiled = compileExperiment(file, { predictions: true });
    const val = datasetSplits(compiled.config).val;
    const model = (await readSafetensorsFile(join(straight, 'model.safetensors'))).tensors;
    const feeds: Record<string, ArrayLike<number>> = { image: val.images, labels: val.labels };
    for (const w of compiled.eval.weights) feeds[w.name] = model[w.name].data as Float32Array;
    const graph = compiled.eval.graph;
    const oracle = evaluateGraph(graph, { tensors: feeds, uniforms: { 'param.alpha': 5 } });
    const expected = oracle.get(graph.outputs.find((o) => o.name === 'prediction')!.node)!.data;
    expect(Array.from(tensors.predictions.data as Uint8Array)).toEqual(Array.from(expected));
    expect(result.params.alpha).toBe(5);
    for (const [name, value] of Object.entries(summary.final.values as Record<string, number>)) {
      expect(result.values[name], name).toBeCloseTo(value, 6);
    }
    expect(lines[0]).toMatch(
      /^segc test: alpha_step on val \(4 images\) from .*model\.safetensors: dice \d\.\d{4}  proportion_error /,
    );
    expect(JSON.parse(readFileSync(join(straight, 'test-val.json'), 'utf8')).values.dice).toBe(
      result.values.dice,
    );
    await expect(testCheckpoint(file, { checkpoint: join(root, 'nothing'), log: () => {} })).rejects.toThrow(
      new RunError(
        `Cannot test: '${join(root, 'nothing', 'model.safetensors')}' does not exist (segc run ` +
          `writes it after each epoch).`,
        { code: 'SEG6065' },
      ),
    );
  });

  it('keeps the --set overrides the run was started with when resumed without them', async () => {
    const overrides = { 'optimizer.lr': 5e-3, 'data.seed': 11, alpha: 0.5 };
    const setStraight = join(root, 'set-straight');
    const setResumed = join(root, 'set-resumed');
    await runExperiment(file, { ...quiet, out: setStraight, overrides });
    await runExperiment(file, { ...quiet, out: setResumed, overrides, stopAfter: 1 });
    const lines: string[] = [];
    await runExperiment(file, { resume: setResumed, log: (l) => lines.push(l) });
    expect(lines).toContain(
      "segc: the run's settings are kept: --set optimizer.lr=0.005 --set data.seed=11 --set alpha=0.5",
    );
    // Same learning rate, images and alpha as the uninterrupted run: the same losses and weights.
    expect(records(setResumed).map((r) => [r.lr, r.loss])).toEqual(
      records(setStraight).map((r) => [r.lr, r.loss]),
    );
    const a = (await readSafetensorsFile(join(setStraight, 'model.safetensors'))).tensors;
    const b = (await readSafetensorsFile(join(setResumed, 'model.safetensors'))).tensors;
    // segc test evaluates on the run's images too (data.seed from the saved overrides), not the file's.
    const saved = JSON.parse(readFileSync(join(setResumed, 'summary.json'), 'utf8'));
    const tested = await testCheckpoint(file, { checkpoint: setResumed, last: true, log: () => {} });
    expect(tested.values.dice).toBeCloseTo(saved.final.values.dice, 6);
    expect(tested.values.loss).toBeCloseTo(saved.final.values.loss, 5);
    for (const name of Object.keys(a))
      expect(Array.from(b[name].data as Float32Array), name).toEqual(
        Array.from(a[name].data as Float32Array),
      );
  });

  it('segc test evaluates the selected model by default: the metrics and losses of the best epoch', async () => {
    const summary = JSON.parse(readFileSync(join(straight, 'summary.json'), 'utf8'));
    const lines: string[] = [];
    const result = await testCheckpoint(file, { checkpoint: straight, log: (l) => lines.push(l) });
    // The best epoch's alpha (the schedule's value then), so its loss terms come out the same too.
    expect(result.params.alpha).toBe(summary.epochs[summary.best.epoch - 1].params.alpha);
    for (const [name, value] of Object.entries(summary.best.values as Record<string, number>)) {
      expect(result.values[name], name).toBeCloseTo(value, 6);
    }
    expect(lines[0]).toContain(`from ${join(straight, 'model-best.safetensors')}: dice`);
  });

  it('after a stop between writing metrics.jsonl and the state, resumes with each epoch logged once', async () => {
    const dir = join(root, 'interrupted');
    await runExperiment(file, { ...quiet, out: dir, stopAfter: 1 });
    copyFileSync(join(dir, 'checkpoint.safetensors'), join(root, 'epoch1.safetensors'));
    await runExperiment(file, { ...quiet, resume: dir, stopAfter: 2 });
    // As if the run had stopped after logging epoch 2 but before its state replaced epoch 1's.
    copyFileSync(join(root, 'epoch1.safetensors'), join(dir, 'checkpoint.safetensors'));
    await runExperiment(file, { ...quiet, resume: dir });
    expect(records(dir).map((r) => r.epoch)).toEqual([1, 2, 3]);
  });

  it('refuses a damaged training state with an error naming the file', async () => {
    const { tensors, metadata } = await readSafetensorsFile(join(straight, 'checkpoint.safetensors'));
    const damaged = async (name: string, edit: (t: typeof tensors, m: typeof metadata) => void) => {
      const dir = join(root, name);
      cpSync(straight, dir, { recursive: true });
      const t = { ...tensors };
      const m = { ...metadata };
      edit(t, m);
      await writeSafetensorsFile(join(dir, 'checkpoint.safetensors'), t, m);
      return runExperiment(file, { ...quiet, resume: dir, overrides: { 'train.epochs': 4 } });
    };
    const path = (name: string) => join(root, name, 'checkpoint.safetensors');
    await expect(damaged('null-state', (_t, m) => (m.state = 'null'))).rejects.toThrow(
      new RunError(
        `Cannot resume from '${path('null-state')}': its training state is damaged (not an object).`,
        { code: 'SEG6064' },
      ),
    );
    await expect(
      damaged('string-epoch', (_t, m) => (m.state = m.state.replace('"epoch":3', '"epoch":"3"'))),
    ).rejects.toThrow("its training state is damaged ('epoch' and 'step' must be whole numbers)");
    const moment = Object.keys(tensors).find((k) => k.endsWith('.exp_avg'))!;
    await expect(
      damaged(
        'f64-tensor',
        (t) =>
          (t[moment] = {
            ...t[moment],
            dtype: 'F64',
            data: Float64Array.from(t[moment].data as Float32Array),
          }),
      ),
    ).rejects.toThrow(`'${moment}' is F64, a training state holds F32.`);
  });
});
