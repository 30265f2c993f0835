// A grid cell in words, as the progress lines, the errors and merge name it.

import type {RunSpec} from './experiment.js';

/** A cell in words: `batch · relu · seed 1 · train.lr=0.1`. */
export function cellLabel(spec: Pick<RunSpec, 'norm_label' | 'activation' | 'seed' | 'factors'>): string {
  const factors = Object.entries(spec.factors).map(([k, v]) => `${k}=${v}`);
  return [spec.norm_label, spec.activation, `seed ${spec.seed}`, ...factors].join(' · ');
}
