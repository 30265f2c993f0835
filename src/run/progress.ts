// Progress on stderr. On a terminal: two cli-progress bars, the grid and the current run
// (with its latest loss and test accuracy). Off a terminal (CI, pipes): a plain line when a
// run starts, at each quarter of it, and when it ends. `quiet`: nothing.

import cliProgress from 'cli-progress';
import type {RunSpec} from '../config/expand.js';
import type {RunRecord} from '../results/columns.js';
import type {ExperimentHooks} from './experiment.js';

export interface ProgressOptions {
  quiet?: boolean;
  /** Force terminal / plain mode; default: whether stderr is a TTY. */
  tty?: boolean;
  stream?: NodeJS.WriteStream;
}

export function runName(spec: RunSpec): string {
  const factors = Object.entries(spec.factors).map(([k, v]) => `${k}=${v}`);
  return [spec.norm_label, spec.activation, `seed ${spec.seed}`, ...factors].join(' · ');
}

function endLine(record: RunRecord): string {
  const m = record.metrics;
  const acc = m ? ` test acc ${m.final_test_accuracy.toFixed(4)}` : '';
  const speed = m ? ` · ${m.steps_per_s.toFixed(0)} steps/s · ${m.wall_s.toFixed(1)} s` : '';
  const note = record.status === 'ok' ? '' : ` — ${record.message ?? ''}`;
  return `${record.status}${acc}${speed}${note}`;
}

export function progressHooks(options: ProgressOptions = {}): ExperimentHooks {
  if (options.quiet) return {};
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  return tty ? barHooks(stream) : lineHooks(stream);
}

function lineHooks(stream: NodeJS.WritableStream): ExperimentHooks {
  let done = 0;
  let quarter = 0;
  let steps = 1;
  let lastAcc = NaN;
  let lastLoss = NaN;
  return {
    onGridStart: ({total, backend, outDir}) => stream.write(`normbench: ${total} runs on backend ${backend} → ${outDir}\n`),
    onRunStart: (spec, total) => {
      quarter = 0;
      steps = spec.train.steps;
      stream.write(`[${done + 1}/${total}] ${runName(spec)} (${spec.run_id}): ${steps} steps\n`);
    },
    onStep: (_spec, step, loss) => {
      lastLoss = loss;
      const q = Math.floor((4 * step) / steps);
      if (q > quarter && q < 4) {
        quarter = q;
        stream.write(`  step ${step}/${steps} · loss ${lastLoss.toFixed(4)} · test acc ${lastAcc.toFixed(4)}\n`);
      }
    },
    onEval: (_spec, point) => {
      lastAcc = point.test_accuracy;
    },
    onRunEnd: (record) => {
      done++;
      stream.write(`  ${endLine(record)}\n`);
    },
  };
}

function barHooks(stream: NodeJS.WriteStream): ExperimentHooks {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      etaBuffer: 50,
      format: ' {label} |{bar}| {value}/{total} steps · {info}',
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let grid: cliProgress.SingleBar | undefined;
  let run: cliProgress.SingleBar | undefined;
  let acc = NaN;
  let done = 0;
  let lastDraw = 0;
  return {
    onGridStart: ({total, backend}) => {
      grid = multi.create(total, 0, {backend}, {format: ' grid |{bar}| {value}/{total} runs · backend {backend} · eta {eta_formatted}'});
      run = multi.create(1, 0, {label: '', info: ''});
    },
    onRunStart: (spec) => {
      acc = NaN;
      run?.setTotal(spec.train.steps);
      run?.update(0, {label: runName(spec), info: ''});
    },
    onStep: (_spec, step, loss) => {
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      run?.update(step, {info: `loss ${loss.toFixed(4)} · test acc ${Number.isNaN(acc) ? '—' : acc.toFixed(4)}`});
    },
    onEval: (_spec, point) => {
      acc = point.test_accuracy;
    },
    onRunEnd: (record, total) => {
      done++;
      run?.update(record.steps, {info: endLine(record)});
      grid?.update(done);
      if (done === total) multi.stop();
    },
  };
}
