// The one check of tensors read from a file against what the reader needs: every load path (segc test's
// model, --resume's training state, segc grad's inputs) validates names, dtypes, shapes and finiteness here,
// so a file one of them refuses is never accepted by another.
import type { DType, TensorEntry } from './safetensors.ts';

export interface TensorSpec {
  name: string;
  /** The exact shape needed; absent: any shape (segc grad fits shapes to the loss's declared types). */
  shape?: readonly number[];
  /** The dtypes accepted (default F32 only). */
  dtypes?: readonly DType[];
  /** Whether the file must hold it (default true). */
  required?: boolean;
}

export interface TensorCheck {
  /** What the file is, for messages: "a training state" in "'x' is F64, a training state holds F32". */
  kind: string;
  /** How to name an unknown tensor: "is not part of this model" (default). */
  extra?: (name: string) => string;
  /** Said after a non-finite value: its likely cause ("the run that wrote it diverged"). */
  nonFinite?: string;
}

const FLOATS = new Set<DType>(['F32', 'F64']);

/**
 * The first problem of `tensors` against `specs` (a missing or unknown tensor, a wrong dtype or shape, a
 * value that is NaN or infinite), as a sentence for the caller to put after the file's name; undefined when
 * none.
 */
export function tensorProblem(
  tensors: Record<string, TensorEntry>,
  specs: readonly TensorSpec[],
  check: TensorCheck,
): string | undefined {
  const wanted = new Map(specs.map((spec) => [spec.name, spec]));
  for (const spec of specs) {
    if (!Object.prototype.hasOwnProperty.call(tensors, spec.name) && (spec.required ?? true))
      return `it has no tensor '${spec.name}' (was the model changed?).`;
  }
  for (const name of Object.keys(tensors)) {
    if (!wanted.has(name)) return check.extra ? check.extra(name) : `'${name}' is not part of this model.`;
  }
  for (const [name, entry] of Object.entries(tensors)) {
    const spec = wanted.get(name)!;
    const dtypes = spec.dtypes ?? ['F32'];
    if (!dtypes.includes(entry.dtype)) {
      const allowed =
        dtypes.length === 1 ? dtypes[0] : `${dtypes.slice(0, -1).join(', ')} or ${dtypes.at(-1)}`;
      return `'${name}' is ${entry.dtype}, ${check.kind} holds ${allowed}.`;
    }
    if (spec.shape && !sameShape(entry.shape, spec.shape)) {
      return `'${name}' has shape [${entry.shape.join(', ')}], the model needs [${spec.shape.join(', ')}].`;
    }
    if (FLOATS.has(entry.dtype)) {
      const data = entry.data as Float32Array | Float64Array;
      const index = data.findIndex((v) => !Number.isFinite(v));
      if (index >= 0) {
        const count = data.filter((v) => !Number.isFinite(v)).length;
        return (
          `'${name}' holds ${data[index]} (${count} of its ${data.length} values are not finite, the first ` +
          `at index ${index})${check.nonFinite ? `: ${check.nonFinite}` : ''}.`
        );
      }
    }
  }
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, i) => extent === b[i]);
}
