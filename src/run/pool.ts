// Grid cells trained in N worker processes (src/run/worker.ts), each with its own backend. The
// parent hands out the cells as workers become free, the longest first by a rough estimate (so
// that the grid does not end on one long run while the other workers idle), relays their
// progress to the hooks, and gets back each finished run — which it alone commits to the results
// directory, where the order of finishing leaves no trace.
// A worker that dies takes only its current run with it: that run is recorded as failed, a new
// worker takes its place, and the grid goes on. `stop` ends every worker at once (the runs in
// progress are dropped, as with a single process).

import {fork, type ChildProcess} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import type {RunSpec} from '../config/expand.js';
import type {Targets} from '../config/schema.js';
import {modelUnits} from '../models/registry.js';
import {normRelativeCost} from '../norms/registry.js';
import type {RunRecord} from '../results/columns.js';
import type {ExperimentHooks} from './experiment.js';
import type {FromWorker, ToWorker, WorkerOptions} from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * A run's work, roughly, for the order of dispatch only: steps × batch × the model's hidden units
 * × the norm's measured cost per step relative to none. Ties keep the grid order.
 */
export function estimatedCost(spec: RunSpec): number {
  return spec.train.steps * spec.train.batch_size * modelUnits(spec.model) * normRelativeCost(spec.norm.name);
}

interface Slot {
  child: ChildProcess;
  spec?: RunSpec;
  position?: number;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private stopped = false;

  constructor(
    private readonly size: number,
    private readonly options: WorkerOptions,
  ) {}

  /**
   * Train `specs` (positions are their numbers in the grid's plan, for progress). `onRecord` is
   * called with each finished run, in the order they finish. Resolves when all are done.
   */
  run(specs: RunSpec[], targets: Targets, positions: number[], total: number, hooks: ExperimentHooks, onRecord: (record: RunRecord, position: number) => void): Promise<void> {
    const queue = specs.map((spec, i) => ({spec, position: positions[i]!})).sort((a, b) => estimatedCost(b.spec) - estimatedCost(a.spec));
    let pending = specs.length;
    return new Promise((resolve, reject) => {
      if (pending === 0) {
        resolve();
        return;
      }
      const dispatch = (slot: Slot) => {
        const next = queue.shift();
        if (!next) {
          slot.spec = undefined;
          return;
        }
        slot.spec = next.spec;
        slot.position = next.position;
        hooks.onRunStart?.(next.spec, next.position, total);
        slot.child.send({type: 'run', spec: next.spec, targets} satisfies ToWorker);
      };
      /** A run is over; a live worker takes the next one (a dead one is replaced instead). */
      const finish = (slot: Slot, record: RunRecord, alive = true) => {
        const position = slot.position!;
        slot.spec = undefined;
        onRecord(record, position);
        pending--;
        if (pending === 0) resolve();
        else if (alive) dispatch(slot);
      };
      const spawn = (): Slot => {
        const child = fork(WORKER, [], {
          serialization: 'advanced',
          env: {...process.env, NORMBENCH_WORKER: JSON.stringify(this.options)},
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        const slot: Slot = {child};
        child.on('message', (message: FromWorker) => {
          const spec = slot.spec;
          switch (message.type) {
            case 'ready':
              dispatch(slot);
              break;
            case 'step':
              if (spec) hooks.onStep?.(spec, message.step, message.loss);
              break;
            case 'eval':
              if (spec) hooks.onEval?.(spec, message.point);
              break;
            case 'done':
              finish(slot, message.record);
              break;
            case 'error':
              this.stop();
              reject(new Error(`a worker process could not start: ${message.message}`));
              break;
            case 'start':
              break;
          }
        });
        child.on('exit', (code, signal) => {
          if (this.stopped) return;
          // The run it held fails; a new worker takes over the rest.
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots.splice(i, 1);
          if (slot.spec) {
            const spec = slot.spec;
            finish(slot, {spec, status: 'failed', steps: 0, points: [], message: `its worker process died (${signal ?? `exit code ${code}`})`}, false);
          }
          if (pending > 0 && queue.length > 0) this.slots.push(spawn());
        });
        return slot;
      };
      for (let i = 0; i < Math.min(this.size, specs.length); i++) this.slots.push(spawn());
    });
  }

  /** End every worker now (an interruption): their runs in progress are dropped. */
  stop(): void {
    this.stopped = true;
    for (const slot of this.slots) {
      if (slot.child.connected) slot.child.send({type: 'stop'} satisfies ToWorker);
      slot.child.kill('SIGTERM');
    }
  }

  /** Wait for every worker to exit (after the last run, or after stop). */
  async close(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.slots.map((slot) => new Promise<void>((resolve) => {
      if (slot.child.exitCode !== null || slot.child.signalCode !== null) resolve();
      else {
        slot.child.once('exit', () => resolve());
        slot.child.disconnect();
      }
    })));
  }
}
