import {z} from 'zod';
import {nearest} from '../suggest.js';

/** A strict object whose unknown keys get "did you mean" from its own shape. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const guess = nearest(key, known);
          return `unknown key "${key}"${guess ? ` — did you mean "${guess}"?` : ''} (allowed: ${known.join(', ') || 'none'})`;
        })
        .join('; ');
    },
  });
}
