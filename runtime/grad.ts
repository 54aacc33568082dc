// `segc grad`: evaluates one loss and its gradients on the GPU for inputs from a safetensors file (what
// PyTorch users save), and writes `loss`, each term and `grad.<input>` to another safetensors file.
import type { LossInput, PlanLimits } from '../compiler/index.ts';
import { assertFits, compileLoss, generatePlan, inputDims, planLimits, resolve } from '../compiler/index.ts';
import { InternalError, userError } from '../diagnostics/index.ts';
import type { Definition } from '../grammar/index.ts';
import type { DType, TensorEntry } from './checkpoint/safetensors.ts';
import { tensorProblem } from './checkpoint/validate.ts';
import { readSafetensorsFile, writeSafetensorsFile } from './checkpoint/safetensors.ts';
import type { DevicePreference } from './device.ts';
import { openDevice, type OpenedDevice } from './device.ts';
import { BufferStore, executePlan, loadPlan, readPlanBuffer, releasePlan, writeBuffer } from './executor.ts';

export interface GradOptions {
  loss: string;
  inputs: string;
  out: string;
  overrides?: Record<string, number>;
  device?: DevicePreference;
  /** A device to reuse (kept open afterwards, with its compiled pipelines); else one is opened and closed. */
  opened?: OpenedDevice;
  /** Limits that replace the device's in planning and checking (tests: a small device without allocating). */
  limits?: Partial<PlanLimits>;
}

const LABEL_TYPES = new Set(['I64', 'I32', 'U8']);
const INPUT_DTYPES: DType[] = ['F32', 'F64', 'I64', 'I32', 'U8'];
const FLOAT_DTYPES: DType[] = ['F32', 'F64'];

/** The inputs file; a missing or damaged one is a UserError naming it. */
async function readInputs(path: string): Promise<Record<string, TensorEntry>> {
  try {
    return (await readSafetensorsFile(path)).tensors;
  } catch (error) {
    const message = (error as Error).message;
    throw userError('SEG6093', [
      path,
      message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message,
    ]);
  }
}

function flatValues(entry: TensorEntry): number[] {
  return Array.from(entry.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** How many spatial axes the float inputs annotated with `S` have (e.g. the logits), if any. */
function logitsSpatialRank(
  def: Definition,
  tensors: Record<string, TensorEntry>,
  labelParams: Set<string>,
): number | undefined {
  for (const [name, entry] of Object.entries(tensors)) {
    const dims = def.params.find((p) => p.name.name === name)?.type?.dims;
    if (labelParams.has(name) || !dims?.some((d) => d.name === 'S')) continue;
    return entry.shape.length - (dims.length - 1);
  }
  return undefined;
}

export async function computeGrad(file: string, options: GradOptions): Promise<Record<string, number[]>> {
  const resolved = resolve(file);
  const found = resolved.entry.definitions.get(options.loss);
  if (!found) {
    const known = [...resolved.entry.definitions.values()]
      .filter((d) => d.def.defKind === 'loss')
      .map((d) => d.def.name.name);
    throw userError('SEG6090', [options.loss, file, known.join(', ') || 'none']);
  }
  const { def, scope } = found;
  const tensors = await readInputs(options.inputs);
  const inputs = new Map<string, LossInput>();
  const data = new Map<string, number[]>();
  const params = new Set(def.params.map((p) => p.name.name));
  const labelParams = new Set(
    def.params.filter((p) => ['labels', 'masks'].includes(p.type?.base?.name ?? '')).map((p) => p.name.name),
  );
  // Shapes are fitted to the declared types below; names, dtypes and finiteness are checked as for models.
  const specs = [...params].map((name) => ({
    name,
    required: false,
    dtypes: labelParams.has(name) ? INPUT_DTYPES : FLOAT_DTYPES,
  }));
  const problem = tensorProblem(tensors, specs, {
    kind: 'a float input',
    extra: (name) => `tensor '${name}' is not a parameter of '${options.loss}' (${[...params].join(', ')}).`,
  });
  if (problem) throw userError('SEG6094', [options.inputs, options.loss, problem]);
  const spatialRank = logitsSpatialRank(def, tensors, labelParams);
  for (const [name, entry] of Object.entries(tensors)) {
    const dims = inputDims(def, name, entry.shape.length, spatialRank);
    if (!dims || dims.length !== entry.shape.length) {
      const written = def.params.find((p) => p.name.name === name)?.type;
      const declared = written?.dims
        ? ` [${written.dims.map((d) => d.name).join(',')}].`
        : ' (none: annotate the parameter).';
      throw userError('SEG6091', [options.inputs, name, entry.shape.join(', '), declared]);
    }
    // Labels and masks are converted to u8 whatever their saved dtype (PyTorch users save int64 or float
    // 0/1).
    const labels = labelParams.has(name) || LABEL_TYPES.has(entry.dtype);
    const flat = flatValues(entry);
    if (labels && flat.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
      throw userError('SEG6092', [options.inputs, name]);
    }
    inputs.set(name, { dims, sizes: entry.shape, labels });
    data.set(name, flat);
  }
  const numbers = new Map(Object.entries(options.overrides ?? {}));
  const staged = compileLoss(def, scope, inputs, numbers, resolved.sources);
  const opened = options.opened ?? (await openDevice(options.device ?? 'auto'));
  const limits = { ...planLimits(opened.device.limits), ...options.limits };
  const plan = generatePlan(staged.graph, { name: 'grad', target: opened.software ? 'cpu' : 'gpu', limits });
  try {
    assertFits([plan], limits, resolved.sources);
  } catch (error) {
    if (!options.opened) opened.device.destroy();
    throw error;
  }
  const store = new BufferStore(opened.device);
  const loaded = await loadPlan(store, plan);
  const bytes: Record<string, ArrayBufferView> = {};
  // Only the inputs the loss reads have buffers; an unused parameter is skipped, not uploaded.
  plan.buffers.forEach((buffer, i) => {
    const name = buffer.name.slice(buffer.name.indexOf(':') + 1);
    if (buffer.role === 'input') bytes[name] = Uint8Array.from(data.get(name)!);
    if (buffer.role === 'weight')
      writeBuffer(opened.device, loaded.buffers[i], Float32Array.from(data.get(name)!));
    if (buffer.role === 'state') {
      const values = staged.constants.get(name);
      if (!values) throw new InternalError(`segc grad: no values for state '${name}'`);
      writeBuffer(opened.device, loaded.buffers[i], Float32Array.from(values));
    }
  });
  executePlan(loaded, { inputs: bytes });
  const results: Record<string, number[]> = {};
  const out: Record<string, TensorEntry> = {};
  for (const output of plan.outputs) {
    const values = (await readPlanBuffer(loaded, output.buffer)).slice(0, output.elements);
    results[output.name] = Array.from(values);
    const shape = output.name.startsWith('grad.') ? inputs.get(output.name.slice(5))!.sizes : [];
    out[output.name] = { dtype: 'F32', shape, data: values };
  }
  await writeSafetensorsFile(options.out, out, { loss: options.loss, source: file });
  if (!options.opened) opened.device.destroy();
  else releasePlan(loaded);
  return results;
}
