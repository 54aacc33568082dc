// Label ops: one-hot encoding along a new class dim, and the valid-pixel mask (label != ignore).
import { ShapeError, type Attrs } from '../ir/types.ts';
import type { OpDef } from './op.ts';

function ignoreOf(attrs: Attrs): number {
  return (attrs.ignore as number | undefined) ?? 255;
}

export const labelOps: OpDef[] = [
  {
    name: 'onehot',
    kind: 'elementwise',
    doc:
      'one-hot of class indices along a new dim (ignored labels, `ignore` or out of range, give ' +
      'all zeros)',
    inferType: ([labels], attrs) => {
      const dim = attrs.dim as string;
      if (labels.dims.some((d) => d.name === dim))
        throw new ShapeError(`labels already have a dimension '${dim}'`);
      const dims = [...labels.dims];
      const at = dims.length > 0 && dims[0].name === 'N' ? 1 : 0;
      dims.splice(at, 0, { name: dim, size: attrs.size as number });
      return { dims, dtype: 'f32' };
    },
    scalar: ([label], attrs, at) => (label === at(attrs.dim as string) && label !== ignoreOf(attrs) ? 1 : 0),
    wgsl: ([label], attrs, at) => {
      const hit = `u32(${label}) == ${at(attrs.dim as string)}`;
      // 255 (the default) is never a class index, so only another ignore value needs its own test.
      return ignoreOf(attrs) === 255
        ? `select(0.0, 1.0, ${hit})`
        : `select(0.0, 1.0, ${hit} && u32(${label}) != ${ignoreOf(attrs)}u)`;
    },
    vjp: () => [undefined],
  },
  {
    name: 'valid',
    kind: 'elementwise',
    doc: '1 where the label is not the ignore value, else 0',
    inferType: ([labels]) => ({ dims: labels.dims, dtype: 'f32' }),
    scalar: ([label], attrs) => (label === attrs.ignore ? 0 : 1),
    wgsl: ([label], attrs) => `select(1.0, 0.0, ${label} == ${Number(attrs.ignore).toFixed(1)})`,
    vjp: () => [undefined],
  },
];
