// Population statistics held by a norm for evaluation (`ctx.statistics: 'population'`).

import * as tf from '../tf.js';
import type {Population} from './types.js';

export class PopulationSlot {
  private held?: Population;

  set(population: Population | undefined): void {
    this.clear();
    if (population) {
      this.held = {mean: tf.keep(population.mean.clone()), variance: population.variance ? tf.keep(population.variance.clone()) : undefined};
    }
  }

  /** The statistics; an error when none were set (a programming error, not user input). */
  get(name: string): Population {
    if (!this.held) throw new Error(`${name}: evaluation with population statistics before they were computed`);
    return this.held;
  }

  clear(): void {
    this.held?.mean.dispose();
    this.held?.variance?.dispose();
    this.held = undefined;
  }
}
