// Interruption: SIGINT / SIGTERM stop a grid at the next training step, and what the user is
// told afterwards (what was kept, and the command that resumes). Light on purpose: the CLI's
// error handler imports it without loading the trainer.

import {basename, relative} from 'node:path';
import {Interrupted} from '../errors.js';
import type {RunSpec} from '../spec/experiment.js';

/** Raised after an interruption, once the finished runs are safely committed. */
export class GridInterrupted extends Interrupted {
  constructor(
    signal: NodeJS.Signals,
    readonly outDir: string,
    readonly kept: number,
    readonly total: number,
    /** The runs in progress, dropped. */
    readonly dropped: RunSpec[],
  ) {
    super(signal);
  }
}

/** Stop on SIGINT / SIGTERM at the next training step; a second signal exits at once. */
export function trapSignals(controller: AbortController, onForce: (signal: NodeJS.Signals) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) onForce(signal);
    else controller.abort(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/** How to run a command again, as the user typed it. */
export function commandLine(argv: string[] = process.argv): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const bin = argv[1] ?? 'normbench';
  const rel = relative(process.cwd(), bin);
  const head = basename(bin) === 'run.js' || basename(bin) === 'dev.js' ? `node ${rel && !rel.startsWith('..') ? rel : bin}` : 'normbench';
  return [head, ...argv.slice(2).map(quote)].join(' ');
}

