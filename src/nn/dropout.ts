// Inverted dropout (Srivastava et al. 2014; "inverted": scaled at training, so evaluation is the
// plain network): at a training step each unit of a layer's output h [B, U] is kept with
// probability 1 − p and scaled by 1/(1 − p), else set to 0:
//   h̃ = h ⊙ m,   m_bu = 1/(1 − p) if u_bu ≥ p else 0,   u_bu ~ U[0, 1),   so E[h̃] = h.
//
// The uniforms come from Rng(seed, 'dropout', step, layer), one fresh generator per step and
// layer: a mask depends on what it is for, never on how many draws came before. So runs that
// differ only in the norm (or the activation, or p: the masks of a smaller p are nested in a
// larger p's) drop the same units at the same step, and drawing masks moves no other stream
// (initial weights, batch order). A uniform is one 32-bit draw, u = k/2³², dropped when k < p·2³².

import * as tf from '../tf.js';
import {Rng} from '../rng.js';

/** The mask values of one layer at one step, row-major [rows, units]: 0 or 1/(1 − p). */
export function dropoutMask(seed: number, step: number, layer: string, rows: number, units: number, p: number): Float32Array {
  const rng = new Rng(seed, 'dropout', step, layer);
  const threshold = p * 4294967296;
  const keep = 1 / (1 - p);
  const mask = new Float32Array(rows * units);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.nextUint32() < threshold ? 0 : keep;
  return mask;
}

/** h ⊙ m for the mask of (seed, step, layer): h [rows, units] with dropout applied. */
export function dropout(h: tf.Tensor2D, p: number, seed: number, step: number, layer: string): tf.Tensor2D {
  const [rows, units] = h.shape;
  return tf.mul(h, tf.tensor2d(dropoutMask(seed, step, layer, rows, units, p), [rows, units]));
}
