// Binary mode in an experiment: a one-channel network (sigmoid) on two-class shapes trains, predicts class 1
// where its logit is positive (the saved class maps equal the float64 oracle's), and its Dice is the Dice of
// those maps against the labels, computed here by hand.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { readSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { datasetSplits } from '../../runtime/train/evaluate.ts';
import { runExperiment } from '../../runtime/train/session.ts';
import { testCheckpoint } from '../../runtime/train/test-run.ts';

const file = 'test/fixtures/experiments/binary.seg';

describe('binary mode', () => {
  it('trains a one-channel network; predictions and Dice agree with the oracle and a hand count', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'segc-binary-')), 'run');
    const summary = await runExperiment(file, { out, log: () => {} });
    expect(Object.keys(summary.epochs[0].train)).toEqual(['loss', 'ce', 'l1']);
    expect(summary.epochs[3].train.loss).toBeLessThan(summary.epochs[0].train.loss);
    const result = await testCheckpoint(file, {
      checkpoint: out,
      last: true,
      savePredictions: true,
      log: () => {},
    });
    expect(result.values.dice).toBeCloseTo(summary.final!.values.dice, 6);

    const compiled = compileExperiment(file, { predictions: true });
    const val = datasetSplits(compiled.config).val;
    const { tensors } = await readSafetensorsFile(join(out, 'predictions-val.safetensors'));
    const predicted = tensors.predictions.data as Uint8Array;
    // The oracle's class maps from the saved model, one evaluation batch at a time.
    const model = (await readSafetensorsFile(join(out, 'model.safetensors'))).tensors;
    const node = compiled.eval.graph.outputs.find((o) => o.name === 'prediction')!.node;
    const batch = compiled.config.train.batch;
    const plane = val.height * val.width;
    const expected: number[] = [];
    for (let first = 0; first < val.count; first += batch) {
      const feeds: Record<string, ArrayLike<number>> = {
        image: val.images.subarray(first * 3 * plane, (first + batch) * 3 * plane),
        labels: val.labels.subarray(first * plane, (first + batch) * plane),
      };
      for (const w of compiled.eval.weights) feeds[w.name] = model[w.name].data as Float32Array;
      const oracle = evaluateGraph(compiled.eval.graph, { tensors: feeds, uniforms: {} });
      expected.push(...Array.from(oracle.get(node)!.data));
    }
    expect(Array.from(predicted)).toEqual(expected);
    // Dataset-level Dice of class 1, counted by hand from the maps and the labels.
    let intersection = 0;
    let predictedCount = 0;
    let targetCount = 0;
    for (let i = 0; i < predicted.length; i++) {
      const p = predicted[i] === 1;
      const t = val.labels[i] === 1;
      intersection += p && t ? 1 : 0;
      predictedCount += p ? 1 : 0;
      targetCount += t ? 1 : 0;
    }
    expect(predictedCount).toBeGreaterThan(0);
    expect(result.values.dice).toBeCloseTo((2 * intersection) / (predictedCount + targetCount), 6);
    expect(result.values.dice).toBeGreaterThan(0.5);
  });
});
