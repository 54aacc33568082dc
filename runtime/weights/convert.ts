// Tensors of a weights file as the device holds them (f32), and the model's tensors as torch stores them
// (f32, and int64 for a batch norm's num_batches_tracked).
import type { TensorEntry } from '../checkpoint/safetensors.ts';
import type { WeightSpec } from '../../compiler/index.ts';

/** The dtypes a weight may be stored in: any float, and (for an int64 buffer) I64. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'] as const;

/** A float (or integer) tensor's values as f32; F16 and BF16 are widened exactly. */
export function toFloat32(entry: TensorEntry): Float32Array {
  const { dtype, data } = entry;
  if (dtype === 'F32') return data as Float32Array;
  if (dtype === 'BF16') {
    const bits = new Uint32Array(data.length);
    (data as Uint16Array).forEach((v, i) => (bits[i] = v << 16));
    return new Float32Array(bits.buffer);
  }
  if (dtype === 'F16') return Float32Array.from(data as Uint16Array, halfToFloat);
  if (dtype === 'I64') return Float32Array.from(data as BigInt64Array, (v) => Number(v));
  return Float32Array.from(data as ArrayLike<number>);
}

/** An IEEE half-precision bit pattern as a number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A model tensor's device values (f32) as the entry torch's state_dict would hold. */
export function modelEntry(weight: WeightSpec, values: Float32Array): TensorEntry {
  if (weight.dtype === 'i64') {
    return {
      dtype: 'I64',
      shape: weight.sizes,
      data: BigInt64Array.from(values, (v) => BigInt(Math.round(v))),
    };
  }
  return { dtype: 'F32', shape: weight.sizes, data: values };
}

/** The dtypes a saved model may hold for `weight` (what modelEntry writes). */
export function savedDtypes(weight: WeightSpec): ('F32' | 'I64')[] {
  return weight.dtype === 'i64' ? ['I64'] : ['F32'];
}
