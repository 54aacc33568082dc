// Stages an experiment's network and loss into IR: the forward pass of the training step (loss, terms, the
// new values of state) and the evaluation pass (loss terms and metric sums). The driver (compiler/index.ts)
// appends the training step's gradients (autodiff) and state outputs.
import type { GraphBuilder } from '../ir/builder.ts';
import type { Graph } from '../ir/types.ts';
import type { Definition, Span } from '../../grammar/index.ts';
import { InternalError, quote } from '../../diagnostics/index.ts';
import type { CallArguments } from './calls.ts';
import { callDefinition, collectArguments, poisoned } from './calls.ts';
import type { ExperimentSpec } from './experiment.ts';
import { entries } from '../config/index.ts';
import { stageTerms } from './loss.ts';
import type { MetricRequest } from './metrics.ts';
import { METRIC_SUMS, stageMetricSums } from './metrics.ts';
import type { Env, WeightSpec } from './stager.ts';
import { Stager } from './stager.ts';
import type { Value } from './values.ts';
import { POISON, StageError, fail, number, plural } from './values.ts';

/** The metrics' names (every declared metric), which loss terms must not take. */
const METRIC_NAMES = new Set(entries('metric').map((m) => m.name));
export interface DataShape {
  batch: number;
  channels: number;
  /** Volumes only: the depth of the inputs, [N, C, D, H, W]. */
  depth?: number;
  height: number;
  width: number;
  classes: number;
  /** Labels are multilabel masks [N, C, ...] (0/1 per class, 255 ignored), not class indices [N, ...]. */
  multilabel?: boolean;
  /** Image normalisation: x / 255 then (x - mean) / std, one number for every channel or one per channel. */
  mean: number | number[];
  std: number | number[];
  ignore: number;
}

export interface StagedGraph {
  graph: Graph;
  weights: WeightSpec[];
  /** Reported loss values: 'loss' first, then the named terms. */
  terms: string[];
  /** Metric sums (eval only), by output name. */
  metrics: string[];
  /** Binary mode: the network gives one channel (sigmoid) on two-class data. */
  binary?: boolean;
  /** Multilabel mode: masks [N, C, ...] as labels, a sigmoid per channel. */
  multilabel?: boolean;
}

/** A staged forward pass, its builder still open for the backward pass and the state outputs. */
export interface StagedForward extends Omit<StagedGraph, 'graph'> {
  builder: GraphBuilder;
  /** The scalar loss node. */
  loss: number;
  /** The weights' leaf nodes, in graph order, each with the name of its gradient output (`grad:<name>`). */
  trainable: { node: number; output: string }[];
  /** New values of state (batch-norm running statistics), output after the gradients (training only). */
  stateUpdates: { name: string; node: number }[];
}

export const EPS = 1e-10;

/** Whether node `from` is computed from node `target`. */
function dependsOn(s: Stager, from: number, target: number): boolean {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...s.b.nodes[id].inputs);
  }
  return false;
}

/**
 * Stages the forward pass of the training step or of evaluation; evaluation accumulates the sums of the
 * requested `metrics`, and `predictions: true` (or a surface metric) adds the predicted class map (argmax
 * over C) as a 'tensor' output.
 */
export function stageGraph(
  spec: ExperimentSpec,
  shape: DataShape,
  mode: 'train' | 'eval',
  options: { predictions?: boolean; logits?: boolean; metrics?: MetricRequest[] } = {},
): StagedForward {
  const s = new Stager({ mode, classes: shape.classes, recover: true });
  const b = s.b;
  const volume = shape.depth !== undefined;
  const spatial = volume ? ['D', 'H', 'W'] : ['H', 'W'];
  const sizes = volume ? [shape.depth!, shape.height, shape.width] : [shape.height, shape.width];
  const image = b.add('input', [], {
    name: 'image',
    dims: ['N', 'C', ...spatial],
    sizes: [shape.batch, shape.channels, ...sizes],
    dtype: 'u8',
  });
  const multilabel = shape.multilabel === true;
  const labels = b.add('input', [], {
    name: 'labels',
    dims: multilabel ? ['N', 'C', ...spatial] : ['N', ...spatial],
    sizes: multilabel ? [shape.batch, shape.classes, ...sizes] : [shape.batch, ...sizes],
    dtype: 'u8',
  });
  const x = normalized(b, image, shape);
  // The model and the loss are staged recovering: every independent error is recorded (see Stager.guard).
  const logitsValue = s.guard(() => callModel(s, spec, shape, x));
  const logits = logitsValue.kind === 'tensor' ? logitsValue.node : undefined;
  const vars = new Map<string, Value>([
    ['logits', logits === undefined ? POISON : logitsValue],
    ['y', { kind: 'tensor', node: labels }],
  ]);
  const lossEnv: Env = { vars, scope: spec.scope };
  for (const p of spec.params)
    lossEnv.vars.set(p.name, { kind: 'tensor', node: b.add('uniform', [], { name: `param.${p.name}` }) });
  const lossValue = s.guard(() => s.evaluate(spec.loss, lossEnv));
  if (s.diagnostics.length > 0) throw new StageError(s.diagnostics);
  if (logits === undefined) throw new InternalError('the model failed without a diagnostic');
  const loss = scalarLoss(s, spec, lossValue);
  if (!dependsOn(s, loss, logits)) {
    fail(
      'SEG3003',
      spec.loss.span,
      "a loss that depends on the network's output 'logits'",
      'one that does not (nothing would train)',
    );
  }
  b.output('loss', loss);
  const terms = ['loss'];
  for (const term of stageTerms(s, spec.loss, new Set(spec.params.map((p) => p.name)), lossEnv)) {
    // A term named like a metric (`+ dice(logits, y)`) is reported as `dice_loss`, beside the metric `dice`.
    const name = METRIC_NAMES.has(term.name) ? `${term.name}_loss` : term.name;
    b.output(name, term.node);
    terms.push(name);
  }
  const metrics: string[] = [];
  if (mode === 'eval') {
    // The sums the requested metrics read (compiler/stage/metrics.ts); surface metrics read the class map.
    const requests = options.metrics ?? [];
    const predicted = predictedClass(s, logits, multilabel);
    const inputs = { logits, labels, classes: shape.classes, ignore: shape.ignore, predicted, multilabel };
    metrics.push(...stageMetricSums(b, inputs, requests));
    const surface = requests.some((r) => METRIC_SUMS[r.name]?.includes('prediction'));
    if (options.predictions || surface) b.output('prediction', predicted, 'tensor');
    // The logits themselves (segc predict resizes them to each input's size on the GPU).
    if (options.logits) b.output('logits', logits, 'tensor');
  }
  const trainable = b.nodes
    .filter((n) => n.op === 'weight')
    .map((n) => ({ node: n.id, output: `grad:${n.attrs.name}` }));
  const stateUpdates = mode === 'train' ? s.stateUpdates : [];
  const binary = !multilabel && b.type(logits).dims.find((d) => d.name === 'C')?.size === 1;
  const labelMode = multilabel ? { multilabel } : { binary };
  return { builder: b, loss, weights: s.weights, terms, metrics, ...labelMode, trainable, stateUpdates };
}

/**
 * Calls the experiment's net on the image `x` with the model options; its output must have a channel per
 * class.
 */
function callModel(s: Stager, spec: ExperimentSpec, shape: DataShape, x: number): Value {
  const model = spec.model;
  const options = modelOptions(s, spec);
  if (!options) return POISON;
  const { net, args } = options;
  checkImageChannels(net.def, args, shape, model.span);
  const call = { positional: [s.wrap(x)], positionalSpans: [model.span], named: args.named };
  const output = callDefinition(s, net, call, model.span);
  if (output.kind === 'poison') return POISON;
  return modelLogits(s, output, shape.classes, model.span);
}

/**
 * The network output as logits with one channel per class of the data (when known), or one channel on
 * two-class data: binary mode (sigmoid), in which the loss's onehot(y) is [y == 1] over that channel.
 */
export function modelLogits(s: Stager, output: Value, classes: number | undefined, span: Span): Value {
  const logits = s.tensor(output, span, 'the network output');
  const channels = s.b.type(logits).dims.find((d) => d.name === 'C')?.size;
  if (channels === 1 && classes === 2) s.options.classes = 1;
  else if (classes !== undefined && channels !== classes) {
    const gives = plural(channels ?? 0, 'channel');
    if (classes === 2) fail('SEG5034', span, gives);
    fail('SEG5033', span, gives, classes);
  }
  return s.wrap(logits);
}

/** A net's `in` parameter is the number of image channels it takes: it must be the data's. */
function checkImageChannels(def: Definition, args: CallArguments, shape: DataShape, span: Span): void {
  const param = def.params.find((p) => p.name.name === 'in');
  if (!param) return;
  const given = args.named.get('in');
  const value =
    given?.value ??
    (param.default?.kind === 'number' ? number(param.default.value, param.default.isInteger) : undefined);
  if (value?.kind !== 'number' || !value.integer || value.value === shape.channels) return;
  const channels = (n: number) => `${n} image channel${n === 1 ? '' : 's'}`;
  const where = given?.valueSpan ?? span;
  fail('SEG5035', where, channels(value.value), value.value, shape.channels);
}

/** The staged loss as a node, staged no longer recovering; SEG3003 unless it is a scalar. */
export function scalarLoss(s: Stager, spec: ExperimentSpec, lossValue: Value): number {
  s.recovering = false;
  const loss = s.tensor(lossValue, spec.loss.span, 'the loss');
  if (s.b.type(loss).dims.length !== 0) {
    fail(
      'SEG3003',
      spec.loss.span,
      'a scalar loss',
      `a tensor [${s.b
        .type(loss)
        .dims.map((d) => d.name)
        .join(',')}]`,
    );
  }
  return loss;
}

/**
 * The experiment's net and its options given by name (undefined where an option's error was already
 * reported); SEG5031 where the model is not a net, SEG5032 where it is given a positional argument.
 */
export function modelOptions(
  s: Stager,
  spec: ExperimentSpec,
): { net: Extract<Value, { kind: 'function' }>; args: CallArguments } | undefined {
  const hiddenParams = new Set(spec.params.map((p) => p.name));
  const env: Env = { vars: new Map(), scope: spec.scope, hiddenParams };
  const model = spec.model;
  const net = s.evaluate(model.callee, env);
  if (net.kind !== 'function' || net.def.defKind !== 'net') {
    return fail('SEG5031', model.callee.span, quote(model.callee.name));
  }
  const positional = model.args.find((arg) => !arg.name);
  if (positional) return fail('SEG5032', positional.span);
  const args = collectArguments(model.args, (e) => s.operand(e, env));
  return poisoned(args) ? undefined : { net, args };
}

/**
 * Each pixel's predicted class: argmax over C, or in binary mode (one channel) 1 where the logit > 0; for
 * multilabel masks, each channel's 0/1 (logit > 0: sigmoid > 0.5), [N, C, ...].
 */
function predictedClass(s: Stager, logits: number, multilabel: boolean): number {
  const b = s.b;
  if (multilabel) return b.add('gt', [logits, b.constant(0)]);
  if (b.type(logits).dims.find((d) => d.name === 'C')?.size !== 1)
    return b.add('argmax', [logits], { axes: ['C'] });
  return b.add('sum', [b.add('gt', [logits, b.constant(0)])], { axes: ['C'] });
}

/**
 * x / 255 then (x - mean) / std: scalar statistics as one multiply and subtract; per-channel ones
 * (normalize in `train augment`) channel by channel, joined along C.
 */
export function normalized(b: GraphBuilder, image: number, shape: DataShape): number {
  const channels = Array.from({ length: shape.channels }, (_, c) => c);
  const at = (v: number | number[], c: number) => (Array.isArray(v) ? v[Math.min(c, v.length - 1)] : v);
  const uniform = channels.every(
    (c) => at(shape.mean, c) === at(shape.mean, 0) && at(shape.std, c) === at(shape.std, 0),
  );
  if (uniform) {
    const [mean, std] = [at(shape.mean, 0), at(shape.std, 0)];
    const scaled = b.add('mul', [image, b.constant(1 / (255 * std))]);
    return b.add('sub', [scaled, b.constant(mean / std)]);
  }
  const unit = b.add('mul', [image, b.constant(1 / 255)]);
  const planes = channels.map((c) => {
    const plane = b.add('slice', [unit], { start: c, size: 1 });
    const scaled = b.add('mul', [plane, b.constant(1 / at(shape.std, c))]);
    return b.add('sub', [scaled, b.constant(at(shape.mean, c) / at(shape.std, c))]);
  });
  return planes.slice(1).reduce((joined, plane) => b.add('concat', [joined, plane]), planes[0]);
}
