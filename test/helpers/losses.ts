// Test helper: the PyTorch golden cases of the losses (test/golden/losses, test/golden/my_losses), and a
// case's inputs written as the safetensors file `segc grad` reads.
import { writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';

/** One golden case: its inputs (logits z, labels y, class weights w), parameters and expected results. */
export interface LossCase {
  name: string;
  params: Record<string, number>;
  z: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
  loss: number;
  terms: Record<string, number>;
  grad_z: number[];
  mode?: 'multiclass' | 'binary' | 'multilabel';
  w?: number[];
  grad_w?: number[];
  grad_T?: number;
}

/** Writes the case's z, y, w (when given) and T (when its gradient is checked) to `path`. */
export async function writeLossInputs(path: string, c: LossCase): Promise<void> {
  // Multilabel masks are saved as float 0/1 (255 ignored), as PyTorch users keep them; labels as int64.
  const y =
    c.mode === 'multilabel'
      ? { dtype: 'F64' as const, shape: c.y.shape, data: Float64Array.from(c.y.data) }
      : {
          dtype: 'I64' as const,
          shape: c.y.shape,
          data: BigInt64Array.from(c.y.data.map((v) => BigInt(v))),
        };
  await writeSafetensorsFile(path, {
    z: { dtype: 'F64', shape: c.z.shape, data: Float64Array.from(c.z.data) },
    y,
    ...(c.w ? { w: { dtype: 'F64', shape: [c.w.length], data: Float64Array.from(c.w) } } : {}),
    // The temperature as a scalar tensor, so its gradient is computed too.
    ...(c.grad_T !== undefined
      ? { T: { dtype: 'F64', shape: [], data: Float64Array.from([c.params.T]) } }
      : {}),
  });
}
