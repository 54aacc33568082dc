// Training steps of a small network (enc: 3 -> 4 tanh, head: 4 -> 2, mean squared error) through the real
// plan (forward, autodiff backward, clipping, update kernels in one command buffer), against torch.optim's
// float64 trajectories over 20 steps (test/golden/generate_optim.py): every optimizer and option.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { differentiate } from '../../../compiler/autodiff/index.ts';
import { generatePlan } from '../../../compiler/index.ts';
import type { OptimizerPlan } from '../../../compiler/codegen/updates/index.ts';
import { GraphBuilder } from '../../../compiler/ir/builder.ts';
import {
  BufferStore,
  executePlan,
  loadPlan,
  readBuffer,
  releasePlan,
  writeBuffer,
} from '../../../runtime/executor.ts';
import { assignGroups } from '../../../compiler/config/groups.ts';
import type { GroupSpec } from '../../../compiler/config/optimizer.ts';
import { makeOptimizer } from '../../../runtime/optim/optimizers.ts';
import { makeSchedule } from '../../../runtime/optim/schedules.ts';
import { relativeError, testDevice } from '../../helpers/gpu.ts';

interface Case {
  name: string;
  optimizer: string;
  settings: {
    lr: number;
    momentum?: number;
    dampening?: number;
    nesterov?: boolean;
    weight_decay?: number;
    betas?: number[];
    eps?: number;
  };
  groups?: { prefix: string; of?: 'biases_and_norms'; lr?: number; weight_decay?: number }[];
  frozen?: string[];
  clip?: number;
  accumulate?: number;
  micro_steps?: number;
  poly?: { power: number; min: number };
  trajectory: Record<string, number[]>[];
}

const golden = JSON.parse(readFileSync('test/golden/optim/trajectories.json', 'utf8')) as {
  network: { N: number; I: number; H: number; O: number };
  init: Record<string, number[]>;
  x: number[][];
  y: number[][];
  cases: Case[];
};
const { N, I, H, O } = golden.network;
const SIZES: Record<string, [string[], number[]]> = {
  'enc.weight': [
    ['H', 'I'],
    [H, I],
  ],
  'enc.bias': [['H'], [H]],
  'head.weight': [
    ['O', 'H'],
    [O, H],
  ],
  'head.bias': [['O'], [O]],
};

/** The network's graph: loss = mean((head(tanh(enc(x))) - y)^2), with a gradient output per weight. */
function network() {
  const b = new GraphBuilder();
  const w = Object.fromEntries(
    Object.entries(SIZES).map(([name, [dims, sizes]]) => [name, b.add('weight', [], { name, dims, sizes })]),
  );
  const x = b.add('input', [], { name: 'x', dims: ['N', 'I'], sizes: [N, I] });
  const y = b.add('input', [], { name: 'y', dims: ['N', 'O'], sizes: [N, O] });
  const h = b.unary(
    'tanh',
    b.binary('add', b.sum(b.binary('mul', w['enc.weight'], x), ['I']), w['enc.bias']),
  );
  const out = b.binary('add', b.sum(b.binary('mul', w['head.weight'], h), ['H']), w['head.bias']);
  const d = b.binary('sub', out, y);
  const loss = b.scale(b.sum(b.binary('mul', d, d), ['O', 'N']), 1 / (N * O));
  b.output('loss', loss);
  const grads = differentiate(b, loss, Object.values(w));
  for (const [name, id] of Object.entries(w)) b.output(`grad:${name}`, grads.get(id)!, 'gradient');
  return b.graph();
}

function optimizerPlan(c: Case, groups: GroupSpec[]) {
  const weights = Object.entries(SIZES).map(([name, [, sizes]]) => ({ name, sizes, trainable: true }));
  const assignment = assignGroups(weights, groups, c.frozen ?? []);
  const s = c.settings;
  const settings: OptimizerPlan['settings'] =
    c.optimizer === 'sgd'
      ? { momentum: s.momentum ?? 0, dampening: s.dampening ?? 0, nesterov: s.nesterov ?? false }
      : { beta1: s.betas?.[0] ?? 0.9, beta2: s.betas?.[1] ?? 0.999, eps: s.eps ?? 1e-8 };
  const plan: OptimizerPlan = {
    name: c.optimizer,
    settings,
    groups: groups.length + 1,
    groupOf: assignment.groupOf,
    frozen: assignment.frozen,
    clip: c.clip,
    accumulate: c.accumulate,
  };
  const decay = s.weight_decay ?? (c.optimizer === 'adamw' ? 1e-2 : 0);
  return { plan, rates: assignment.rates(s.lr, decay) };
}

const scale = (weights: Record<string, number[]>) => Math.max(...Object.values(weights).flat().map(Math.abs));

async function train(c: Case) {
  const groups: GroupSpec[] = (c.groups ?? []).map((g) => ({
    prefix: g.prefix,
    of: g.of ?? 'all',
    lr: g.lr,
    weightDecay: g.weight_decay,
  }));
  const { plan: optimizer, rates } = optimizerPlan(c, groups);
  const plan = generatePlan(network(), { name: 'step', optimizer });
  const { device } = await testDevice();
  const store = new BufferStore(device);
  const loaded = await loadPlan(store, plan);
  for (const [name, values] of Object.entries(golden.init))
    writeBuffer(device, store.buffers.get(`weight:${name}`)!, Float32Array.from(values));
  const steps = c.micro_steps ?? 20;
  const k = c.accumulate ?? 1;
  const poly = c.poly
    ? makeSchedule(
        { name: 'poly', power: c.poly.power, min: c.poly.min, per: 'iteration' },
        { base: rates.map((r) => r.lr), epochs: 1, iterations: steps / k },
      )
    : undefined;
  const run = makeOptimizer(optimizer);
  const errors: number[] = [];
  for (let step = 0; step < steps; step++) {
    const lrs = poly ? poly.lrs(0, Math.floor(step / k)) : rates.map((r) => r.lr);
    const uniforms = run.uniforms(
      step + 1,
      rates.map((r, i) => ({ lr: lrs[i], weightDecay: r.weightDecay })),
    );
    const inputs = { x: Float32Array.from(golden.x[step]), y: Float32Array.from(golden.y[step]) };
    executePlan(loaded, { uniforms, inputs });
    for (const name of Object.keys(SIZES)) {
      const ours = (await readBuffer(device, store.buffers.get(`weight:${name}`)!)).slice(
        0,
        golden.init[name].length,
      );
      // Relative to the network's largest weight: a bias crossing zero has no scale of its own.
      errors.push(relativeError(Array.from(ours), c.trajectory[step][name], scale(c.trajectory[step])));
      if (c.frozen?.includes(name))
        expect(Array.from(ours)).toEqual(Array.from(Float32Array.from(golden.init[name])));
    }
  }
  releasePlan(loaded);
  return Math.max(...errors);
}

describe('optimizer trajectories against torch.optim', () => {
  for (const c of golden.cases) {
    it(c.name, async () => {
      const error = await train(c);
      expect(error).toBeLessThan(1e-5);
    });
  }
});
