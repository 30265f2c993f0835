// manifest.json: what was run, with what, where and when, and how each run ended.

import {execFileSync} from 'node:child_process';
import {dirname} from 'node:path';
import type {ExperimentConfig} from '../config/schema.js';
import {hashOf} from '../util/canonical.js';
import type {RunRecord} from './columns.js';

export interface Manifest {
  experiment: string;
  question: string;
  /** The experiment file as given on the command line. */
  file: string;
  config_hash: string;
  /** The resolved configuration: extends merged, --set applied, defaults filled in. */
  config: ExperimentConfig;
  normbench_version: string;
  tfjs_version: string;
  backend: string;
  node_version: string;
  platform: string;
  git_commit: string | null;
  started: string;
  finished: string | null;
  /** `running` while runs are under way, `complete` when every run has ended. */
  state: 'running' | 'complete';
  runs_total: number;
  runs: Array<{
    run_id: string;
    index: number;
    norm: string;
    activation: string;
    seed: number;
    factors: Record<string, string>;
    status: string;
    steps: number;
    params?: number;
    message?: string;
  }>;
}

export function gitCommit(near: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {cwd: dirname(near), stdio: ['ignore', 'pipe', 'ignore']})
      .toString()
      .trim();
  } catch {
    return null;
  }
}

export function configHash(config: ExperimentConfig): string {
  return hashOf(config);
}

export function manifestRuns(records: RunRecord[]): Manifest['runs'] {
  return records.map((r) => ({
    run_id: r.spec.run_id,
    index: r.spec.index,
    norm: r.spec.norm_label,
    activation: r.spec.activation,
    seed: r.spec.seed,
    factors: r.spec.factors,
    status: r.status,
    steps: r.steps,
    params: r.params,
    message: r.message,
  }));
}

