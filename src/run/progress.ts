// Progress on stderr, so stdout stays clean for the table or --json.
//
// On a terminal: live lines — the grid (runs done, steps/s, elapsed, ETA), and for every run in
// progress (one, one per worker process, or one per run of a stack) its steps, steps/s, ETA and
// latest numbers — with a line per started and finished run above them. Training is a loop that rarely yields, so
// the bars are drawn from the step callback itself, at most 10 times a second, rather than by
// cli-progress's timer. The terminal's cursor and line wrapping are restored on every way out
// (end, error, signal).
//
// Off a terminal (CI logs, pipes): a plain line when a run starts, at each quarter of it, and
// when it ends. Every test accuracy shown names the step it was measured at.

import cliProgress from 'cli-progress';
import {cellLabel} from '../spec/cells.js';
import type {RunSpec} from '../spec/experiment.js';
import type {CurvePoint, RunRecord} from '../spec/records.js';
import {fmtValue} from '../results/format.js';
import type {ExperimentHooks, GridStart} from './hooks.js';
import {stepCost} from './cost.js';

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

/** The grid's first lines: what trains where, and with --stack how the runs were stacked. */
function gridHeader(info: GridStart): string {
  const resumed = info.done > 0 ? ` (resuming: ${info.done} already done)` : '';
  const workers = info.workers > 1 ? ` · ${info.workers} worker processes` : '';
  const part = info.shard ? `shard ${info.shard.index}/${info.shard.count}: ${info.total} of the grid's ${info.shard.gridRuns}` : `${info.total}`;
  const lines = [`${info.stage ? `normbench · ${info.stage}\n  ` : 'normbench: '}${part} runs on backend ${info.backend}${workers} → ${info.outDir}${resumed}`];
  if (info.stacks) {
    const sizes = [...new Set(info.stacks)].sort((a, b) => b - a).join(' or ');
    const stacked = info.stacks.reduce((a, b) => a + b, 0);
    lines.push(info.stacks.length > 0
      ? `  stacked: ${stacked} runs in ${info.stacks.length} stack${info.stacks.length === 1 ? '' : 's'} of ${sizes}`
      : '  stacked: none');
    for (const [reason, n] of Object.entries(info.unstacked ?? {})) lines.push(`  alone: ${n} run${n === 1 ? '' : 's'} — ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One run in progress: where it is, how fast, and its latest numbers. */
class RunState {
  step = 0;
  loss = NaN;
  /** The latest evaluation: test accuracy, or test loss for regression, and its step. */
  test?: {label: string; value: string; step: number};
  /** One step's estimated work (src/run/cost.ts), reckoned once: the display runs at every step. */
  readonly stepCost: number;
  constructor(
    readonly spec: RunSpec,
    readonly position: number,
    readonly started: number,
  ) {
    this.stepCost = stepCost(spec);
  }

  get steps(): number {
    return this.spec.train.steps;
  }


  rate(now: number): number {
    return this.step / Math.max(1e-3, (now - this.started) / 1000);
  }

  eta(now: number): string {
    return this.step > 0 ? fmtDuration((this.steps - this.step) / this.rate(now)) : '—';
  }

  get numbers(): string {
    const loss = Number.isNaN(this.loss) ? '—' : fmtValue(this.loss, 4);
    const test = this.test ? `test ${this.test.label} ${this.test.value} (step ${this.test.step})` : 'test acc —';
    return `loss ${loss} · ${test}`;
  }
}

/** Rates and ETAs for the runs in progress and the whole grid, from steps and the clock. */
class Tracker {
  total = 0;
  done = 0;
  /** The estimated work still to do (src/run/cost.ts): a grid of batch sizes is not timed by its steps alone. */
  gridWorkLeft = 0;
  /** Runs trained side by side (workers, stacks): lines then name their run. */
  sideBySide = false;
  readonly runs = new Map<string, RunState>();
  private gridStart = 0;
  private sessionSteps = 0;
  private sessionWork = 0;

  constructor(readonly now: () => number) {}

  startGrid(info: GridStart): void {
    this.total = info.total;
    this.sideBySide = info.workers > 1 || (info.stacks?.length ?? 0) > 0;
    this.done = info.done;
    this.gridWorkLeft = info.work;
    this.gridStart = this.now();
    // A tuned experiment starts a grid per stage: rates and ETAs are each stage's own.
    this.sessionSteps = 0;
    this.sessionWork = 0;
    this.runs.clear();
  }

  startRun(spec: RunSpec, position: number): RunState {
    const run = new RunState(spec, position, this.now());
    this.runs.set(spec.run_id, run);
    return run;
  }

  advance(spec: RunSpec, step: number, loss: number): RunState | undefined {
    const run = this.runs.get(spec.run_id);
    if (!run) return undefined;
    this.sessionSteps += step - run.step;
    this.sessionWork += (step - run.step) * run.stepCost;
    this.gridWorkLeft -= (step - run.step) * run.stepCost;
    run.step = step;
    run.loss = loss;
    return run;
  }

  see(spec: RunSpec, point: CurvePoint): void {
    const run = this.runs.get(spec.run_id);
    if (!run) return;
    run.test = point.test_accuracy === undefined
      ? {label: 'loss', value: fmtValue(point.test_loss, 4), step: point.step}
      : {label: 'acc', value: point.test_accuracy.toFixed(4), step: point.step};
  }

  endRun(record: RunRecord): void {
    const run = this.runs.get(record.spec.run_id);
    // A run that stopped early (diverged, failed) leaves its remaining steps undone.
    this.gridWorkLeft -= (record.spec.train.steps - (run?.step ?? 0)) * stepCost(record.spec);
    this.runs.delete(record.spec.run_id);
    this.done++;
  }

  get gridRate(): number {
    return this.sessionSteps / Math.max(1e-3, (this.now() - this.gridStart) / 1000);
  }

  get gridEta(): string {
    const workRate = this.sessionWork / Math.max(1e-3, (this.now() - this.gridStart) / 1000);
    return this.sessionWork > 0 ? fmtDuration(Math.max(0, this.gridWorkLeft) / workRate) : '—';
  }

  get elapsed(): string {
    return fmtDuration((this.now() - this.gridStart) / 1000);
  }
}

export function progressHooks(options: ProgressOptions = {}): Progress {
  if (options.quiet) return {stop() {}};
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const tracker = new Tracker(options.now ?? (() => performance.now()));
  return tty ? barHooks(stream, tracker) : lineHooks(stream, tracker);
}

function lineHooks(stream: NodeJS.WritableStream, t: Tracker): Progress {
  const quarters = new Map<string, number>();
  return {
    onGridStart: (info) => {
      t.startGrid(info);
      stream.write(gridHeader(info));
    },
    onNote: (text) => stream.write(`${text}\n`),
    onRunStart: (spec, position, total) => {
      t.startRun(spec, position);
      quarters.set(spec.run_id, 0);
      stream.write(`[${position}/${total}] ${cellLabel(spec)} (${spec.run_id}): ${spec.train.steps} steps\n`);
    },
    onStep: (spec, step, loss) => {
      const run = t.advance(spec, step, loss);
      if (!run) return;
      const q = Math.floor((4 * step) / run.steps);
      if (q > (quarters.get(spec.run_id) ?? 0) && q < 4) {
        quarters.set(spec.run_id, q);
        const now = t.now();
        const who = t.sideBySide ? `[${run.position}/${t.total}] ` : '';
        stream.write(`  ${who}step ${step}/${run.steps} · ${run.numbers} · ${run.rate(now).toFixed(0)} steps/s · run eta ${run.eta(now)} · grid eta ${t.gridEta}\n`);
      }
    },
    onEval: (spec, point) => t.see(spec, point),
    onRunEnd: (record, position, total) => {
      t.endRun(record);
      quarters.delete(record.spec.run_id);
      stream.write(`  ${t.sideBySide ? `[${position}/${total}] ` : ''}${endLine(record)}\n`);
    },
    stop() {},
  };
}

/**
 * A line for a terminal of `width` columns: one that does not fit loses its middle to "…", keeping
 * its start (which run) and its end (the run id, the steps, a directory). With line wrapping off
 * (the bars need it), the terminal would otherwise pile the rest into its last column.
 */
export function elide(line: string, width: number | undefined): string {
  const chars = [...line];
  if (!width || width < 20 || chars.length <= width) return line;
  const tail = Math.min(40, Math.floor(width / 3));
  return `${chars.slice(0, width - tail - 1).join('')}…${chars.slice(-tail).join('')}`;
}

/** Show the cursor and turn line wrapping back on (what cli-progress turned off). */
const RESTORE = '\x1b[?25h\x1b[?7h';

function barHooks(stream: NodeJS.WriteStream, t: Tracker): Progress {
  const multi = new cliProgress.MultiBar(
    {stream, clearOnComplete: false, hideCursor: true, linewrap: false, fps: 10, barsize: 24, autopadding: true,
      format: ' {label} |{bar}| {text}'},
    cliProgress.Presets.shades_classic,
  );
  let grid: cliProgress.SingleBar | undefined;
  /** Per run in progress: its bar and its numbers line. */
  const lines = new Map<string, {bar: cliProgress.SingleBar; numbers: cliProgress.SingleBar}>();
  let lastDraw = -Infinity;
  let stopped = false;
  // What scrolls above the bars, each line fitted to the terminal's width (as it is now).
  const log = (text: string) => multi.log(text.split('\n').map((l) => elide(l, stream.columns)).join('\n'));
  // Whatever ends the process — an error, a signal, process.exit — gets the terminal back.
  const restore = () => {
    if (!stopped) stream.write(RESTORE);
  };
  process.once('exit', restore);

  const refresh = (force = false) => {
    const at = t.now();
    if (!force && at - lastDraw < FRAME_MS) return;
    lastDraw = at;
    grid?.update(t.done, {label: 'grid', text: `${t.done}/${t.total} runs · ${t.gridRate.toFixed(0)} steps/s · ${t.elapsed} elapsed · eta ${t.gridEta}`});
    for (const [id, line] of lines) {
      const run = t.runs.get(id);
      if (!run) continue;
      const label = t.sideBySide ? `run ${String(run.position).padStart(String(t.total).length)}` : 'run ';
      line.bar.update(run.step, {label, text: `${run.step}/${run.steps} steps · ${run.rate(at).toFixed(0)} steps/s · eta ${run.eta(at)}`});
      line.numbers.update(0, {label: ' '.repeat(label.length), text: run.numbers});
    }
    multi.update();
  };

  return {
    onGridStart: (info) => {
      t.startGrid(info);
      log(gridHeader(info));
      // A tuned experiment starts a grid per stage: the last one's bar gives way.
      if (grid) multi.remove(grid);
      grid = multi.create(Math.max(1, info.total), info.done, {label: 'grid', text: ''});
      refresh(true);
    },
    onRunStart: (spec, position, total) => {
      t.startRun(spec, position);
      const bar = multi.create(spec.train.steps, 0, {label: 'run ', text: ''});
      const numbers = multi.create(1, 0, {label: '    ', text: ''}, {format: ' {label} {text}'});
      lines.set(spec.run_id, {bar, numbers});
      log(`[${position}/${total}] ${cellLabel(spec)} (${spec.run_id}): ${spec.train.steps} steps\n`);
      refresh(true);
    },
    onStep: (spec, step, loss) => {
      t.advance(spec, step, loss);
      refresh();
    },
    onEval: (spec, point) => t.see(spec, point),
    onRunEnd: (record, position, total) => {
      t.endRun(record);
      const line = lines.get(record.spec.run_id);
      if (line) {
        multi.remove(line.bar);
        multi.remove(line.numbers);
        lines.delete(record.spec.run_id);
      }
      log(`  ${t.sideBySide ? `[${position}/${total}] ` : ''}${endLine(record)}\n`);
      refresh(true);
    },
    onNote: (text) => {
      log(`${text}\n`);
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
