// The op table: every IR op, by name. Adding an op is one definition plus its row here.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import { channelOps } from './channels.ts';
import { concatOps } from './concat.ts';
import { convolutionOps } from './convolution.ts';
import { poolingOps } from './pooling.ts';
import { elementwiseOps } from './elementwise.ts';
import { labelOps } from './labels.ts';
import { leafOps } from './leaf.ts';
import { linearOps } from './linear.ts';
import type { OpDef } from './op.ts';
import { padOps } from './pad.ts';
import { reduceOps } from './reduce.ts';

export type { OpDef, OpKind, RefTensor } from './op.ts';
export { broadcastIndexer, coordinates } from './op.ts';

export const opTable: ReadonlyMap<string, OpDef> = new Map(
  [
    ...leafOps,
    ...elementwiseOps,
    ...labelOps,
    ...reduceOps,
    ...convolutionOps,
    ...concatOps,
    ...padOps,
    ...poolingOps,
    ...channelOps,
    ...linearOps,
  ].map((op) => [op.name, op]),
);

export function getOp(name: string): OpDef {
  const op = opTable.get(name);
  if (!op) throw new InternalError(`unknown IR op '${name}'`);
  return op;
}
