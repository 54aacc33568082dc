// Divergence: a run whose training loss grows by an order of magnitude trains on to its last epoch with
// finite but useless weights (a learning rate of 1e6 ends at a loss of 8e10); the guard only catches
// non-finite values, so this rule says so in words.

/** How many times its reference an epoch's mean loss may reach before the run is said to diverge. */
export const DIVERGENCE_FACTOR = 10;

/**
 * The warning for the epoch losses so far (train `loss`, one mean per epoch, in order) when the last one is
 * more than DIVERGENCE_FACTOR times the loss of the run's first step (`first`: the initial weights on the
 * first batch) or the lowest earlier epoch loss; undefined otherwise. Non-positive references are skipped
 * (a loss that can be negative has no scale to grow by).
 */
export function divergenceWarning(losses: number[], first?: number): string | undefined {
  if (losses.length === 0) return undefined;
  const last = losses[losses.length - 1];
  const f = (v: number) => v.toPrecision(3);
  const grew = (reference: number | undefined) =>
    reference !== undefined && reference > 0 && last > DIVERGENCE_FACTOR * reference;
  const lowest = losses.length > 1 ? Math.min(...losses.slice(0, -1)) : undefined;
  const than = grew(first)
    ? `the first step's ${f(first!)}`
    : grew(lowest)
      ? `epoch ${losses.indexOf(lowest!) + 1}'s ${f(lowest!)}`
      : undefined;
  if (!than) return undefined;
  return (
    `the training loss diverges: epoch ${losses.length}'s ${f(last)} is more than ${DIVERGENCE_FACTOR} ` +
    `times ${than}; lower the learning rate (--set optimizer.lr=...).`
  );
}
