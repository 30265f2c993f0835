import {z} from 'zod';
import {nearest} from '../suggest.js';

/** Between the per-key messages of one unrecognized_keys issue (split again by describeIssues). */
export const KEY_MESSAGE_SEPARATOR = '\u0000';

/** "Unknown key", with the nearest allowed key. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = nearest(key, known);
  return `unknown key "${key}"${guess ? ` — did you mean "${guess}"?` : ''} (allowed: ${known.join(', ') || 'none'})`;
}

/**
 * A strict object whose unknown keys get "did you mean" from its own shape, one message per key.
 * `elsewhere`: keys that belong to a sibling variant (model mlp's `dropout` in an LSTM), each with
 * the message that says where it applies.
 */
export function strict<S extends z.core.$ZodLooseShape>(shape: S, elsewhere: Readonly<Record<string, string>> = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys.map((key) => elsewhere[key] ?? unknownKeyMessage(key, known)).join(KEY_MESSAGE_SEPARATOR);
    },
  });
}
