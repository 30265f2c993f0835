// What the grid runner tells its caller while it runs (the terminal display, tests), and the
// messages between the parent and its worker processes. Types only: the runner, the pool, the
// units and the worker all read them, and none of them imports another for them.

import type {OpenMode} from '../results/store.js';
import type {RunSpec, Targets} from '../spec/experiment.js';
import type {CurvePoint, RunRecord} from '../spec/records.js';

export interface GridStart {
  /** Runs this directory is to hold (the grid, or this shard's part). */
  total: number;
  /** Of those, already finished here (resumed). */
  done: number;
  /** The training still to do, over all planned runs as src/run/cost.ts estimates it (steps weighted by batch, model and norm): what the grid ETA counts down. */
  work: number;
  backend: string;
  outDir: string;
  mode: OpenMode;
  /** Worker processes training the cells (1: this process). */
  workers: number;
  /** A tuned experiment's stage: which rung of the tuning, or the final runs. */
  stage?: string;
  /** With --shard: which part of the grid this directory holds, and the grid's size. */
  shard?: {index: number; count: number; gridRuns: number};
  /** With --stack: the size of each stack to train (stacks of 2 or more runs), in plan order. */
  stacks?: number[];
  /** With --stack: why runs train alone, and how many. */
  unstacked?: Record<string, number>;
}

export interface ExperimentHooks {
  onGridStart?(info: GridStart): void;
  onRunStart?(spec: RunSpec, position: number, total: number): void;
  onStep?(spec: RunSpec, step: number, loss: number): void;
  onEval?(spec: RunSpec, point: CurvePoint): void;
  onRunEnd?(record: RunRecord, position: number, total: number): void;
  /** Something the user should read while it runs (a tuned value at the edge of its range). */
  onNote?(text: string): void;
  /** Training stopped by a signal; called before the results are closed. */
  onInterrupt?(signal: NodeJS.Signals): void;
}

/** parent → worker. */
export type ToWorker = {type: 'run'; specs: RunSpec[]; targets: Targets} | {type: 'stop'};
/** worker → parent. */
export type FromWorker =
  | {type: 'ready'}
  | {type: 'step'; runId: string; step: number; loss: number}
  | {type: 'eval'; runId: string; point: CurvePoint}
  | {type: 'done'; record: RunRecord}
  | {type: 'error'; message: string};

/** What a worker process is started with (in NORMBENCH_WORKER, as JSON). */
export interface WorkerOptions {
  backend: string;
  dataDir?: string;
}
