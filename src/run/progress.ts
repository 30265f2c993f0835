// Progress on stderr, so stdout stays clean for the table or --json.
//
// On a terminal: three live lines — the grid (runs done, steps/s, elapsed, ETA), the current run
// (steps, steps/s, ETA, which cell) and its latest numbers — and one line per finished run
// above them. Training is a loop that rarely yields, so the bars are drawn from the step
// callback itself, at most 10 times a second, rather than by cli-progress's timer.
// The terminal's cursor and line wrapping are restored on every way out (end, error, signal).
//
// Off a terminal (CI logs, pipes): a plain line when a run starts, at each quarter of it, and
// when it ends. Every test accuracy shown names the step it was measured at.

import cliProgress from 'cli-progress';
import {cellLabel, type RunSpec} from '../config/expand.js';
import type {RunRecord} from '../results/columns.js';
import type {CurvePoint} from '../train/trainer.js';
import {fmtValue} from '../results/format.js';
import type {ExperimentHooks, GridStart} from './experiment.js';

export interface ProgressOptions {
  quiet?: boolean;
  /** Force terminal / plain mode; default: whether the stream is a TTY. */
  tty?: boolean;
  stream?: NodeJS.WriteStream;
  /** The clock (milliseconds), replaceable in tests. */
  now?: () => number;
}

export interface Progress extends ExperimentHooks {
  /** Stop drawing and give the terminal back (idempotent). */
  stop(): void;
}

const FRAME_MS = 100;

/** 42s, 3m 05s, 1h 02m. */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function endLine(record: RunRecord): string {
  const m = record.metrics;
  const acc = !m ? '' : m.final_test_accuracy === undefined ? ` · test loss ${fmtValue(m.final_test_loss, 4)}` : ` · test acc ${m.final_test_accuracy.toFixed(4)}`;
  const speed = m ? ` · ${m.steps_per_s.toFixed(0)} steps/s · ${m.wall_s.toFixed(1)} s` : '';
  const note = record.status === 'ok' ? '' : ` — ${record.message ?? ''}`;
  return `${record.status}${acc}${speed}${note}`;
}

/** Rates and ETAs for the run in progress and the whole grid, from steps and the clock. */
class Tracker {
  total = 0;
  gridStepsLeft = 0;
  done = 0;
  runSteps = 1;
  step = 0;
  loss = NaN;
  /** The latest evaluation: test accuracy, or test loss for regression, and its step. */
  test?: {label: string; value: string; step: number};
  private gridStart = 0;
  private runStart = 0;
  private sessionSteps = 0;

  constructor(private readonly now: () => number) {}

  startGrid(info: GridStart): void {
    this.total = info.total;
    this.done = info.done;
    this.gridStepsLeft = info.steps;
    this.gridStart = this.now();
  }

  startRun(spec: RunSpec): void {
    this.runSteps = spec.train.steps;
    this.step = 0;
    this.loss = NaN;
    this.test = undefined;
    this.runStart = this.now();
  }

  advance(step: number, loss: number): void {
    this.sessionSteps += step - this.step;
    this.gridStepsLeft -= step - this.step;
    this.step = step;
    this.loss = loss;
  }

  see(point: CurvePoint): void {
    this.test = point.test_accuracy === undefined
      ? {label: 'loss', value: fmtValue(point.test_loss, 4), step: point.step}
      : {label: 'acc', value: point.test_accuracy.toFixed(4), step: point.step};
  }

  endRun(record: RunRecord): void {
    // A run that stopped early (diverged, failed) leaves its remaining steps undone.
    this.gridStepsLeft -= this.runSteps - this.step;
    this.done++;
  }

  get runRate(): number {
    return this.step / Math.max(1e-3, (this.now() - this.runStart) / 1000);
  }

  get gridRate(): number {
    return this.sessionSteps / Math.max(1e-3, (this.now() - this.gridStart) / 1000);
  }

  get runEta(): string {
    return this.step > 0 ? fmtDuration((this.runSteps - this.step) / this.runRate) : '—';
  }

  get gridEta(): string {
    return this.sessionSteps > 0 ? fmtDuration(this.gridStepsLeft / this.gridRate) : '—';
  }

  get elapsed(): string {
    return fmtDuration((this.now() - this.gridStart) / 1000);
  }

  get numbers(): string {
    const loss = Number.isNaN(this.loss) ? '—' : fmtValue(this.loss, 4);
    const test = this.test ? `test ${this.test.label} ${this.test.value} (step ${this.test.step})` : 'test acc —';
    return `loss ${loss} · ${test}`;
  }
}

export function progressHooks(options: ProgressOptions = {}): Progress {
  if (options.quiet) return {stop() {}};
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const tracker = new Tracker(options.now ?? (() => performance.now()));
  return tty ? barHooks(stream, tracker, options.now ?? (() => performance.now())) : lineHooks(stream, tracker);
}

function lineHooks(stream: NodeJS.WritableStream, t: Tracker): Progress {
  let quarter = 0;
  return {
    onGridStart: (info) => {
      t.startGrid(info);
      const resumed = info.done > 0 ? ` (resuming: ${info.done} already done)` : '';
      stream.write(`normbench: ${info.total} runs on backend ${info.backend} → ${info.outDir}${resumed}\n`);
    },
    onRunStart: (spec, position, total) => {
      t.startRun(spec);
      quarter = 0;
      stream.write(`[${position}/${total}] ${cellLabel(spec)} (${spec.run_id}): ${spec.train.steps} steps\n`);
    },
    onStep: (_spec, step, loss) => {
      t.advance(step, loss);
      const q = Math.floor((4 * step) / t.runSteps);
      if (q > quarter && q < 4) {
        quarter = q;
        stream.write(`  step ${step}/${t.runSteps} · ${t.numbers} · ${t.runRate.toFixed(0)} steps/s · run eta ${t.runEta} · grid eta ${t.gridEta}\n`);
      }
    },
    onEval: (_spec, point) => t.see(point),
    onRunEnd: (record) => {
      t.endRun(record);
      stream.write(`  ${endLine(record)}\n`);
    },
    stop() {},
  };
}

/** Show the cursor and turn line wrapping back on (what cli-progress turned off). */
const RESTORE = '\x1b[?25h\x1b[?7h';

function barHooks(stream: NodeJS.WriteStream, t: Tracker, now: () => number): Progress {
  const multi = new cliProgress.MultiBar(
    {stream, clearOnComplete: false, hideCursor: true, linewrap: false, fps: 10, barsize: 24, autopadding: true,
      format: ' {label} |{bar}| {text}'},
    cliProgress.Presets.shades_classic,
  );
  let grid: cliProgress.SingleBar | undefined;
  let run: cliProgress.SingleBar | undefined;
  let numbers: cliProgress.SingleBar | undefined;
  let lastDraw = -Infinity;
  let stopped = false;
  // Whatever ends the process — an error, a signal, process.exit — gets the terminal back.
  const restore = () => {
    if (!stopped) stream.write(RESTORE);
  };
  process.once('exit', restore);

  const refresh = (force = false) => {
    const at = now();
    if (!force && at - lastDraw < FRAME_MS) return;
    lastDraw = at;
    grid?.update(t.done, {label: 'grid', text: `${t.done}/${t.total} runs · ${t.gridRate.toFixed(0)} steps/s · ${t.elapsed} elapsed · eta ${t.gridEta}`});
    run?.update(t.step, {label: 'run ', text: `${t.step}/${t.runSteps} steps · ${t.runRate.toFixed(0)} steps/s · eta ${t.runEta}`});
    numbers?.update(0, {label: '    ', text: t.numbers});
    multi.update();
  };

  return {
    onGridStart: (info) => {
      t.startGrid(info);
      const resumed = info.done > 0 ? ` · resuming: ${info.done} already done` : '';
      multi.log(`normbench: ${info.total} runs on backend ${info.backend} → ${info.outDir}${resumed}\n`);
      grid = multi.create(Math.max(1, info.total), info.done, {label: 'grid', text: ''});
      run = multi.create(1, 0, {label: 'run ', text: ''});
      numbers = multi.create(1, 0, {label: '    ', text: ''}, {format: ' {label} {text}'});
      refresh(true);
    },
    onRunStart: (spec, position, total) => {
      t.startRun(spec);
      run?.setTotal(spec.train.steps);
      multi.log(`[${position}/${total}] ${cellLabel(spec)} (${spec.run_id}): ${spec.train.steps} steps\n`);
      refresh(true);
    },
    onStep: (_spec, step, loss) => {
      t.advance(step, loss);
      refresh();
    },
    onEval: (_spec, point) => t.see(point),
    onRunEnd: (record) => {
      t.endRun(record);
      multi.log(`  ${endLine(record)}\n`);
      refresh(true);
    },
    onInterrupt() {
      this.stop();
    },
    stop() {
      if (stopped) return;
      refresh(true);
      multi.stop();
      stopped = true;
      process.off('exit', restore);
    },
  };
}
