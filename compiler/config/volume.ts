// Experiments on volumes (a dataset whose declared size is [D, H, W], as `nifti`): which transforms their
// pipelines may hold (compiler/codegen/augment/volume.ts runs them) and the classes when the dataset leaves
// them to the network.
import type { Diagnostic, Span } from '../../diagnostics/index.ts';
import { createDiagnostic, quote } from '../../diagnostics/index.ts';
import { declaredShape } from './check.ts';
import type { ConfigCall, Setting } from './types.ts';
import { asCall } from './types.ts';

/** The transforms of a volume's `train augment`. */
export const VOLUME_TRANSFORMS = ['flip', 'rot90', 'intensity_scale', 'zscore'];

/** Of `eval augment` / `test augment` (deterministic: the whole volume before its windows). */
export const VOLUME_EVAL_TRANSFORMS = ['zscore'];

interface VolumeSpec {
  data: ConfigCall;
  blocks?: { data?: Record<string, Setting> };
  spans: Record<string, Span | undefined>;
  model: { args: { name?: { name: string }; value: { kind: string; value?: unknown } }[] };
  eval: Record<string, Setting>;
  values: Record<string, Span | undefined>;
}

/** The metrics of volume evaluations (runtime/train/volume-eval.ts). */
export const VOLUME_METRICS = [
  'dice',
  'miou',
  'macc',
  'proportion_error',
  'per_class_iou',
  'per_class_dice',
  'dice_per_image',
  'hd95',
  'nsd',
];

export function isVolumeData(spec: { data: ConfigCall }): boolean {
  return declaredShape(spec.data)?.size.length === 3;
}

/** Transforms a volume pipeline cannot run, reported at the pipeline. */
export function volumePipelineProblems(spec: VolumeSpec): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const list = (names: string[]) => names.map(quote).join(', ');
  for (const [key, pipeline] of Object.entries(spec.blocks?.data ?? {})) {
    if (!Array.isArray(pipeline)) continue;
    const allowed = key === 'train augment' ? VOLUME_TRANSFORMS : VOLUME_EVAL_TRANSFORMS;
    const names = pipeline.map((item) => asCall(item)?.name ?? String(item));
    const missing = [...new Set(names.filter((n) => !allowed.includes(n)))];
    if (missing.length === 0) continue;
    const code = missing.length > 1 ? 'SEG5054' : 'SEG5053';
    diagnostics.push(
      createDiagnostic(code, spec.spans[`data.${key}`], list(missing), quote(key), list(allowed)),
    );
  }
  const metrics = Array.isArray(spec.eval.metrics) ? spec.eval.metrics : [];
  metrics.forEach((m, i) => {
    const name = asCall(m)?.name ?? String(m);
    // Volumes score their class map (the argmax): a probability threshold other than 0.5 has no meaning.
    const threshold = asCall(m)?.options.threshold ?? asCall(m)?.args[0];
    if (name === 'dice_per_image' && threshold !== undefined && threshold !== 0.5) {
      const span = spec.values[`eval.metrics.${i}`];
      const must = '0.5 on volumes (their class map is the argmax of the sliding-window probabilities)';
      diagnostics.push(createDiagnostic('SEG5080', span, name, quote('threshold'), must, String(threshold)));
    }
  });
  // Resampling to another voxel spacing is declared, not done.
  const spacing = spec.data.options.spacing;
  if (spacing !== undefined && spacing !== 'native') {
    const given = Array.isArray(spacing) ? `[${spacing.join(', ')}]` : String(spacing);
    const must = '"native" (resampling to a spacing is not available yet)';
    diagnostics.push(
      createDiagnostic('SEG5080', spec.spans.data, spec.data.name, quote('spacing'), must, given),
    );
  }
  return diagnostics;
}

/** The model's `classes` option when written as a number (the classes of a dataset that leaves them open). */
export function modelClasses(spec: Pick<VolumeSpec, 'model'>): number | undefined {
  const given = spec.model.args.find((a) => a.name?.name === 'classes');
  return given?.value.kind === 'number' && typeof given.value.value === 'number'
    ? given.value.value
    : undefined;
}
