// Constant padding of the spatial dims (negative amounts crop); its gradient is the opposite pad.
import type { Attrs, TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { product } from './spatial.ts';

/** Spatial dims of a padded tensor: every dim after N and C. */
function padded(x: TensorType, attrs: Attrs, op: string): TensorType {
  const before = attrs.before as number[];
  const after = attrs.after as number[];
  const spatial = x.dims.slice(2);
  if (x.dims[0]?.name !== 'N' || x.dims[1]?.name !== 'C' || spatial.length === 0) {
    throw new ShapeError(`'${op}' expects [N,C,H,W] or [N,C,D,H,W], found ${formatType(x)}`);
  }
  if (before.length !== spatial.length || after.length !== spatial.length) {
    throw new ShapeError(
      `'${op}' needs ${spatial.length} amounts before and after, got ${before.length} and ${after.length}`,
    );
  }
  const sizes = spatial.map((d, i) => d.size + before[i] + after[i]);
  if (sizes.some((s) => s < 1)) throw new ShapeError(`'${op}' crops ${formatType(x)} to nothing`);
  return {
    dims: [...x.dims.slice(0, 2), ...spatial.map((d, i) => ({ name: d.name, size: sizes[i] }))],
    dtype: 'f32',
  };
}

/** For each output element of a pad, the input element it copies, or -1 for the fill value. */
export function padSource(x: TensorType, attrs: Attrs, out: TensorType): (flat: number) => number {
  const before = attrs.before as number[];
  const inSizes = x.dims.slice(2).map((d) => d.size);
  const outSizes = out.dims.slice(2).map((d) => d.size);
  const outVolume = product(outSizes);
  const inVolume = product(inSizes);
  return (flat) => {
    const plane = Math.floor(flat / outVolume);
    let rest = flat % outVolume;
    let source = 0;
    for (let d = outSizes.length - 1, stride = 1; d >= 0; d--) {
      const at = (rest % outSizes[d]) - before[d];
      rest = Math.floor(rest / outSizes[d]);
      if (at < 0 || at >= inSizes[d]) return -1;
      source += at * stride;
      stride *= inSizes[d];
    }
    return plane * inVolume + source;
  };
}

export const padOps: OpDef[] = [
  {
    name: 'pad',
    kind: 'pad',
    doc: 'constant padding of the spatial dims: attrs before/after per dim (negative amounts crop), value',
    inferType: ([x], attrs) => padded(x, attrs, 'pad'),
    reference: ([x], attrs, type) => {
      const source = padSource(x.type, attrs, type);
      return Float64Array.from({ length: product(type.dims.map((d) => d.size)) }, (_, i) => {
        const from = source(i);
        return from < 0 ? (attrs.value as number) : x.data[from];
      });
    },
    // The gradient crops what was added (and pads back what was cropped, with zeros).
    vjp: (b, n, g) => {
      const negate = (xs: number[]) => xs.map((v) => -v);
      return [
        b.add('pad', [g], {
          before: negate(n.attrs.before as number[]),
          after: negate(n.attrs.after as number[]),
          value: 0,
        }),
      ];
    },
  },
];
