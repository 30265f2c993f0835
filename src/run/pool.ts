// Grid cells trained in N worker processes (src/run/worker.ts), each with its own backend. The
// parent hands out units (a run, or a stack of runs: src/run/units.ts) as workers become free,
// the longest first by a rough estimate (so that the grid does not end on one long unit while the
// other workers idle), relays their progress to the hooks, and gets back each finished run —
// which it alone commits to the results directory, where the order of finishing leaves no trace.
// A worker that dies takes only its current unit with it: those runs are recorded as failed, a
// new worker takes its place, and the grid goes on. `stop` ends every worker at once (the runs in
// progress are dropped, as with a single process).

import {fork, type ChildProcess} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import type {RunSpec, Targets} from '../spec/experiment.js';
import {estimatedCost} from './cost.js';
import type {RunRecord} from '../spec/records.js';
import type {ExperimentHooks, FromWorker, ToWorker, WorkerOptions} from './hooks.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/** What the pool reports besides the hooks' progress: a run handed out, a run finished. */
export interface PoolEvents extends Pick<ExperimentHooks, 'onStep' | 'onEval'> {
  started(spec: RunSpec): void;
  finished(record: RunRecord): void;
}

interface Slot {
  child: ChildProcess;
  /** The runs of the unit it trains, by run id, until each is back. */
  runs: Map<string, RunSpec>;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private stopped = false;

  constructor(
    private readonly size: number,
    private readonly options: WorkerOptions,
  ) {}

  /** Train the units; `finished` is called with each run, in the order they finish. Resolves when all are done. */
  run(units: RunSpec[][], targets: Targets, events: PoolEvents): Promise<void> {
    const cost = (unit: RunSpec[]) => unit.reduce((sum, spec) => sum + estimatedCost(spec), 0);
    const queue = [...units].sort((a, b) => cost(b) - cost(a));
    let pending = units.reduce((n, unit) => n + unit.length, 0);
    return new Promise((resolve, reject) => {
      if (pending === 0) {
        resolve();
        return;
      }
      const dispatch = (slot: Slot) => {
        const unit = queue.shift();
        if (!unit) return;
        for (const spec of unit) {
          slot.runs.set(spec.run_id, spec);
          events.started(spec);
        }
        slot.child.send({type: 'run', specs: unit, targets} satisfies ToWorker);
      };
      /** A run is over; when its unit is, a live worker takes the next (a dead one is replaced instead). */
      const finish = (slot: Slot, record: RunRecord, alive = true) => {
        slot.runs.delete(record.spec.run_id);
        events.finished(record);
        pending--;
        if (pending === 0) resolve();
        else if (alive && slot.runs.size === 0) dispatch(slot);
      };
      const spawn = (): Slot => {
        const child = fork(WORKER, [], {
          serialization: 'advanced',
          env: {...process.env, NORMBENCH_WORKER: JSON.stringify(this.options)},
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        const slot: Slot = {child, runs: new Map()};
        child.on('message', (message: FromWorker) => {
          // After stop (an interruption) nothing more is committed: a run that finished while
          // the workers were being stopped is dropped with the others in progress.
          if (this.stopped) return;
          const spec = 'runId' in message ? slot.runs.get(message.runId) : undefined;
          switch (message.type) {
            case 'ready':
              dispatch(slot);
              break;
            case 'step':
              if (spec) events.onStep?.(spec, message.step, message.loss);
              break;
            case 'eval':
              if (spec) events.onEval?.(spec, message.point);
              break;
            case 'done':
              finish(slot, message.record);
              break;
            case 'error':
              this.stop();
              reject(new Error(`a worker process could not start: ${message.message}`));
              break;
          }
        });
        child.on('exit', (code, signal) => {
          if (this.stopped) return;
          // The runs it held fail; a new worker takes over the rest.
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots.splice(i, 1);
          for (const spec of [...slot.runs.values()]) {
            finish(slot, {spec, status: 'failed', steps: 0, points: [], message: `its worker process died (${signal ?? `exit code ${code}`})`}, false);
          }
          if (pending > 0 && queue.length > 0) this.slots.push(spawn());
        });
        return slot;
      };
      for (let i = 0; i < Math.min(this.size, units.length); i++) this.slots.push(spawn());
    });
  }

  /** End every worker now (an interruption): the runs in progress are dropped. */
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
