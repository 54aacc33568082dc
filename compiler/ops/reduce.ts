// Reductions over named axes: sum, max and argmax (first index of the maximum, as f32).
import type { Attrs, TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef, RefTensor } from './op.ts';
import { broadcastIndexer } from './op.ts';

function reducedType(input: TensorType, attrs: Attrs): TensorType {
  const axes = attrs.axes as string[];
  for (const axis of axes) {
    if (!input.dims.some((d) => d.name === axis)) {
      throw new ShapeError(`${formatType(input)} has no dimension '${axis}' to reduce over`);
    }
  }
  return { dims: input.dims.filter((d) => !axes.includes(d.name)), dtype: 'f32' };
}

/** Folds every input element into its output slot: fold(acc, value, indexWithinReduction). */
function reduceReference(
  [x]: RefTensor[],
  type: TensorType,
  init: number,
  fold: (acc: number, value: number, position: number, slot: number) => number,
): Float64Array {
  const out = new Float64Array(type.dims.reduce((n, d) => n * d.size, 1)).fill(init);
  const count = new Float64Array(out.length);
  // Map each input element to its output slot by dropping the reduced dims.
  const toOut = inverseIndexer(x.type, type);
  for (let i = 0; i < x.data.length; i++) {
    const slot = toOut(i);
    out[slot] = fold(out[slot], x.data[i], count[slot]++, slot);
  }
  return out;
}

function inverseIndexer(full: TensorType, kept: TensorType): (flat: number) => number {
  return broadcastIndexer(kept, full);
}

export const reduceOps: OpDef[] = [
  {
    name: 'sum',
    kind: 'reduce',
    doc: 'sum over the named axes',
    inferType: ([x], attrs) => reducedType(x, attrs),
    reference: (inputs, _a, type) => reduceReference(inputs, type, 0, (acc, v) => acc + v),
    vjp: (b, n, g) => [b.expand(g, b.type(n.inputs[0]))],
  },
  {
    name: 'max',
    kind: 'reduce',
    doc: 'maximum over the named axes',
    inferType: ([x], attrs) => reducedType(x, attrs),
    reference: (inputs, _a, type) => reduceReference(inputs, type, -Infinity, (acc, v) => Math.max(acc, v)),
    vjp: (b, n, g) => {
      const x = n.inputs[0];
      const mask = b.binary('eq', x, b.expand(n.id, b.type(x)));
      return [b.binary('mul', b.expand(g, b.type(x)), mask)];
    },
  },
  {
    name: 'argmax',
    kind: 'reduce',
    doc: 'index of the first maximum along one axis, as f32',
    inferType: ([x], attrs) => {
      if ((attrs.axes as string[]).length !== 1) throw new ShapeError('argmax reduces over exactly one axis');
      return reducedType(x, attrs);
    },
    reference: ([x], attrs, type) => {
      const best = new Float64Array(type.dims.reduce((n, d) => n * d.size, 1)).fill(-Infinity);
      const index = new Float64Array(best.length);
      const toOut = inverseIndexer(x.type, type);
      const axis = (attrs.axes as string[])[0];
      const stride = [...x.type.dims]
        .reverse()
        .reduce(
          (acc, d) =>
            acc.done ? acc : d.name === axis ? { s: acc.s, done: true } : { s: acc.s * d.size, done: false },
          { s: 1, done: false },
        ).s;
      const size = x.type.dims.find((d) => d.name === axis)!.size;
      for (let i = 0; i < x.data.length; i++) {
        const slot = toOut(i);
        if (x.data[i] > best[slot]) {
          best[slot] = x.data[i];
          index[slot] = Math.floor(i / stride) % size;
        }
      }
      return index;
    },
    vjp: () => [undefined],
  },
];
