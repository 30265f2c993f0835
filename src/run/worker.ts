// A worker process: trains the units the parent sends it (a run, or a stack of runs:
// src/run/units.ts), one at a time, and reports progress and each finished run back. It writes
// nothing: the parent owns the results directory.
//
// Messages (structured clone over IPC, so NaN, ∞ and typed arrays survive):
//   parent → worker: {type: 'run', specs, targets} · {type: 'stop'}
//   worker → parent: {type: 'ready'} · {type: 'step', runId, step, loss} (at most every STEP_MS
//                    per run) · {type: 'eval', runId, point} · {type: 'done', record}
// Ctrl-C in a terminal reaches every process of the group; a worker ignores it and lets the
// parent decide (it stops the workers). A worker whose parent is gone exits at once.

import {useBackend} from '../backend.js';
import {Interrupted} from '../errors.js';
import type {FromWorker, ToWorker, WorkerOptions} from './hooks.js';
import {runUnit} from './units.js';

/** How often a worker reports the step it is at (the display redraws at most 10 times a second). */
const STEP_MS = 100;

async function main(): Promise<void> {
  const options = JSON.parse(process.env.NORMBENCH_WORKER ?? '{}') as WorkerOptions;
  // A parent that is gone (its grid done before this worker was ready, or killed) cannot be
  // written to: the worker then exits quietly rather than die of EPIPE on stderr. Any other
  // failure to write is reported and fails the worker.
  const gone = new Set(['EPIPE', 'ECONNRESET', 'ERR_IPC_CHANNEL_CLOSED']);
  const send = (message: FromWorker) => {
    process.send?.(message, undefined, {}, (error: (Error & {code?: string}) | null) => {
      if (!error) return;
      if (!gone.has(error.code ?? '')) console.error(`normbench worker: ${error.message}`);
      process.exit(gone.has(error.code ?? '') ? 0 : 1);
    });
  };
  process.on('SIGINT', () => {});
  process.on('disconnect', () => process.exit(0));
  let controller: AbortController | undefined;
  try {
    await useBackend(options.backend);
  } catch (error) {
    send({type: 'error', message: (error as Error).message});
    process.exit(1);
  }
  const queue: ToWorker[] = [];
  let busy = false;
  const next = async () => {
    if (busy) return;
    const message = queue.shift();
    if (!message || message.type !== 'run') return;
    busy = true;
    const {specs, targets} = message;
    controller = new AbortController();
    const lastStep = new Map<string, number>();
    try {
      const records = await runUnit(specs, targets, options.dataDir, {
        onStep: (spec, step, loss) => {
          const now = performance.now();
          if (now - (lastStep.get(spec.run_id) ?? 0) < STEP_MS && step !== spec.train.steps) return;
          lastStep.set(spec.run_id, now);
          send({type: 'step', runId: spec.run_id, step, loss});
        },
        onEval: (spec, point) => send({type: 'eval', runId: spec.run_id, point}),
      }, controller.signal);
      for (const record of records) send({type: 'done', record});
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
    }
    busy = false;
    await next();
  };
  process.on('message', (message: ToWorker) => {
    if (message.type === 'stop') {
      controller?.abort('SIGTERM');
      process.exit(0);
    }
    queue.push(message);
    void next();
  });
  send({type: 'ready'});
}

await main();
