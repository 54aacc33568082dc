// Parameter groups and frozen parameters: which weights each group's lr and weight decay apply to (the
// first group whose selector matches a weight takes it, as torch's param_groups are written in order; the
// rest form the last group, with the optimizer's own values).
import type { GroupSpec } from './optimizer.ts';

export interface WeightInfo {
  name: string;
  sizes: number[];
  trainable: boolean;
}

export interface Assignment {
  /** Group of each updated weight: an index into `groups`, the last being the rest. */
  groupOf: Record<string, number>;
  frozen: string[];
  /** The lr and weight decay of each group, given the optimizer's. */
  rates(lr: number, weightDecay: number): { lr: number; weightDecay: number }[];
  /** Weights by group (for messages and docs). */
  members: string[][];
}

const matches = (group: GroupSpec, w: WeightInfo) =>
  w.name.startsWith(group.prefix) && (group.of === 'all' || w.sizes.length === 1);

/** Frozen weights are those under a `freeze` prefix; they have no group, no update and no optimizer state. */
export function assignGroups(weights: WeightInfo[], groups: GroupSpec[], freeze: string[]): Assignment {
  const trainable = weights.filter((w) => w.trainable);
  const frozen = trainable.filter((w) => freeze.some((p) => w.name.startsWith(p))).map((w) => w.name);
  const groupOf: Record<string, number> = {};
  const members: string[][] = [...groups, undefined].map(() => []);
  for (const w of trainable) {
    if (frozen.includes(w.name)) continue;
    const index = groups.findIndex((g) => matches(g, w));
    const group = index < 0 ? groups.length : index;
    groupOf[w.name] = group;
    members[group].push(w.name);
  }
  return {
    groupOf,
    frozen,
    members,
    rates: (lr, weightDecay) => [
      ...groups.map((g) => ({ lr: g.lr ?? lr, weightDecay: g.weightDecay ?? weightDecay })),
      { lr, weightDecay },
    ],
  };
}
