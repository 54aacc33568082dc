// Leaf ops: graph inputs (data), trainable weights, state (running statistics), constants and uniform
// scalars.
import type { Attrs, TensorType } from '../ir/types.ts';
import type { OpDef } from './op.ts';

function declaredType(attrs: Attrs): TensorType {
  const names = (attrs.dims as string[]) ?? [];
  const sizes = (attrs.sizes as number[]) ?? [];
  return {
    dims: names.map((name, i) => ({ name, size: sizes[i] })),
    dtype: (attrs.dtype as 'f32' | 'u8') ?? 'f32',
  };
}

export const leafOps: OpDef[] = [
  { name: 'input', kind: 'leaf', doc: 'a data tensor fed each step', inferType: (_i, a) => declaredType(a) },
  { name: 'weight', kind: 'leaf', doc: 'a trainable parameter', inferType: (_i, a) => declaredType(a) },
  {
    name: 'state',
    kind: 'leaf',
    doc: 'a non-trainable buffer (running stats)',
    inferType: (_i, a) => declaredType(a),
  },
  {
    name: 'const',
    kind: 'leaf',
    doc: 'a compile-time scalar',
    inferType: () => ({ dims: [], dtype: 'f32' }),
  },
  {
    name: 'uniform',
    kind: 'leaf',
    doc: 'a scalar that may change between steps without recompiling (param, lr)',
    inferType: () => ({ dims: [], dtype: 'f32' }),
  },
];
