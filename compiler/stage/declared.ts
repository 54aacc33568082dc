// Type-checks an experiment that this version cannot run (a dataset without a reader yet, a 3-D volume, ...):
// its network and loss are staged on inputs of the shape the dataset declares (compiler/config/index.ts),
// which is all that checking needs. Runnable experiments are staged by stageGraph (graphs.ts) instead, with
// their evaluation.
import { SPATIAL_DIMS } from '../ir/types.ts';
import type { DeclaredShape } from '../config/index.ts';
import { callDefinition } from './calls.ts';
import type { ExperimentSpec } from './experiment.ts';
import type { StagedForward } from './graphs.ts';
import { modelLogits, modelOptions, scalarLoss } from './graphs.ts';
import type { Env } from './stager.ts';
import { Stager } from './stager.ts';
import type { Value } from './values.ts';
import { POISON, StageError, fail } from './values.ts';

/**
 * Stages the model and the loss for a batch of `batch` samples of the declared shape (the driver appends the
 * loss's gradients); throws a StageError with every independent error. A dataset that does not declare its
 * classes or image channels takes the network's (its output channels, its `in`). Undefined when the network
 * gave no tensor (its error is reported).
 */
export function stageDeclared(
  spec: ExperimentSpec,
  shape: DeclaredShape,
  batch: number,
): StagedForward | undefined {
  const options = { mode: 'train' as const, classes: shape.classes ?? 1, recover: true };
  const s = new Stager(options);
  const b = s.b;
  const dims = SPATIAL_DIMS.slice(-shape.size.length);
  const channels = shape.channels ?? modelChannels(s, spec) ?? 3;
  const image = b.add('input', [], {
    name: 'image',
    dims: ['N', 'C', ...dims],
    sizes: [batch, channels, ...shape.size],
    dtype: 'u8',
  });
  const labels = b.add('input', [], {
    name: 'labels',
    dims: ['N', ...dims],
    sizes: [batch, ...shape.size],
    dtype: 'u8',
  });
  const x = b.add('sub', [b.add('mul', [image, b.constant(1 / 255)]), b.constant(0)]);
  const logitsValue = s.guard(() => callModel(s, spec, shape, channels, x));
  if (logitsValue.kind === 'tensor') {
    const classes = s.b.type(logitsValue.node).dims.find((d) => d.name === 'C')?.size;
    if (shape.classes === undefined && classes !== undefined) options.classes = classes;
  }
  const vars = new Map<string, Value>([
    ['logits', logitsValue.kind === 'tensor' ? logitsValue : POISON],
    ['y', { kind: 'tensor', node: labels }],
  ]);
  const env: Env = { vars, scope: spec.scope };
  for (const p of spec.params)
    vars.set(p.name, { kind: 'tensor', node: b.add('uniform', [], { name: `param.${p.name}` }) });
  const lossValue = s.guard(() => s.evaluate(spec.loss, env));
  if (s.diagnostics.length > 0) throw new StageError(s.diagnostics);
  if (logitsValue.kind !== 'tensor') return undefined;
  const loss = scalarLoss(s, spec, lossValue);
  const trainable = b.nodes
    .filter((n) => n.op === 'weight')
    .map((n) => ({ node: n.id, output: `grad:${n.attrs.name}` }));
  return { builder: b, loss, weights: s.weights, terms: [], metrics: [], trainable, stateUpdates: [] };
}

/** The model's `in` option (given, else its default), the image channels it takes. */
function modelChannels(s: Stager, spec: ExperimentSpec): number | undefined {
  const given = spec.model.args.find((a) => a.name?.name === 'in');
  if (given?.value.kind === 'number') return given.value.value;
  const net = spec.scope.definitions.get(spec.model.callee.name);
  const param = net?.def.params.find((q) => q.name.name === 'in');
  return param?.default?.kind === 'number' ? param.default.value : undefined;
}

/** Calls the experiment's net on `x`, checking its image channels and its output's against the data's. */
function callModel(
  s: Stager,
  spec: ExperimentSpec,
  shape: DeclaredShape,
  channels: number,
  x: number,
): Value {
  const model = spec.model;
  const options = modelOptions(s, spec);
  if (!options) return POISON;
  const { net, args } = options;
  const given = args.named.get('in');
  if (shape.channels !== undefined && given?.value.kind === 'number' && given.value.value !== channels) {
    const n = (k: number) => `${k} image channel${k === 1 ? '' : 's'}`;
    fail('SEG5035', given.valueSpan ?? model.span, n(given.value.value), given.value.value, channels);
  }
  const output = callDefinition(
    s,
    net,
    { positional: [s.wrap(x)], positionalSpans: [model.span], named: args.named },
    model.span,
  );
  if (output.kind === 'poison') return POISON;
  return modelLogits(s, output, shape.classes, model.span);
}
