import {closest, distance} from 'fastest-levenshtein';

/**
 * The nearest known name to `word`, if it is close enough to be a plausible typo
 * (edit distance at most 40% of the longer word, and at least 1; a transposition costs 2).
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(word, known as string[]);
  const limit = Math.max(1, Math.ceil(Math.max(word.length, best.length) * 0.4));
  return distance(word, best) <= limit ? best : undefined;
}

/** `Unknown norm "bacth" — did you mean "batch"? (known: none, batch, …)` */
export function unknownName(kind: string, word: string, known: readonly string[]): string {
  const guess = nearest(word, known);
  const hint = guess ? ` — did you mean "${guess}"?` : '';
  return `Unknown ${kind} "${word}"${hint} (known: ${known.join(', ')})`;
}
