// "Did you mean ...?": the closest known name to a misspelt one, by edit distance (a swap of two letters is
// one edit).

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two adjacent letters as one
 * edit (Damerau-Levenshtein, optimal string alignment): `unte` is one edit from `unet`.
 */
function distance(a: string, b: string): number {
  // Three rows: two before the current one, for the swap.
  let before = Array.from({ length: b.length + 1 }, () => 0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j], before[j - 2] + 1);
      }
    }
    [before, previous] = [previous, current];
  }
  return previous[b.length];
}

/** A hint naming the closest candidate within a third of the name's length (at least one edit), if any. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance && candidate !== name) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? undefined : `Did you mean '${best}'?`;
}
