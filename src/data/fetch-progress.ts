// Progress of a download on stderr (the engine, fetch.ts, reports through FetchHooks).

import cliProgress from 'cli-progress';
import type {FetchHooks} from './fetch.js';

// Progress on stderr. On a terminal: a cli-progress bar per file (bytes, total, speed). Off a
// terminal: a line when a file starts, on each retry, and when it is verified. `quiet`: nothing.

export interface FetchProgressOptions {
  quiet?: boolean;
  /** Force terminal / plain mode; default: whether the stream is a TTY. */
  tty?: boolean;
  stream?: NodeJS.WriteStream;
}

/** `26.4 MB`: decimal units, as servers and the Fashion-MNIST README count. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

const speedOf = (bytes: number, ms: number) => `${formatBytes(Math.round((bytes * 1000) / Math.max(ms, 1)))}/s`;

export function fetchProgress(options: FetchProgressOptions = {}): FetchHooks {
  if (options.quiet) return {};
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  return tty ? barHooks(stream) : lineHooks(stream);
}

function lineHooks(stream: NodeJS.WritableStream): FetchHooks {
  let started = 0;
  let from = 0;
  return {
    onPresent: (f) => stream.write(`${f.name}: already present, SHA-256 ok (${formatBytes(f.bytes)}); skipped\n`),
    onStart: (file, {url, offset, total}) => {
      started = Date.now();
      from = offset;
      const size = total === undefined ? 'size unknown' : formatBytes(total);
      stream.write(offset > 0 ? `${file.name}: resuming at ${formatBytes(offset)} of ${size} from ${url}\n` : `${file.name}: downloading ${size} from ${url}\n`);
    },
    onRetry: (file, {attempt, attempts, delayMs, error}) =>
      stream.write(`${file.name}: ${error.message}; retry ${attempt}/${attempts - 1} in ${(delayMs / 1000).toFixed(1)} s\n`),
    onDone: (f) => {
      const ms = Date.now() - started;
      stream.write(`${f.name}: ${formatBytes(f.bytes)} in ${(ms / 1000).toFixed(1)} s (${speedOf(f.bytes - from, ms)}), SHA-256 ok\n`);
    },
  };
}

function barHooks(stream: NodeJS.WriteStream): FetchHooks {
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  let from = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const info = (received: number, total: number | undefined) =>
    `${formatBytes(received)} / ${total === undefined ? '?' : formatBytes(total)} · ${speedOf(received - from, Date.now() - started)}`;
  return {
    onPresent: (f) => stream.write(` ${f.name}: already present, SHA-256 ok; skipped\n`),
    onStart: (file, {offset, total}) => {
      stop();
      started = Date.now();
      from = offset;
      bar = new cliProgress.SingleBar(
        {stream, hideCursor: true, barsize: 30, format: ' {name} |{bar}| {percentage}% · {info}'},
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, offset, {name: file.name, info: info(offset, total)});
    },
    onData: (_file, received, total) => bar?.update(received, {info: info(received, total)}),
    onRetry: (file, {attempt, attempts, delayMs, error}) => {
      stop();
      stream.write(` ${file.name}: ${error.message}; retry ${attempt}/${attempts - 1} in ${(delayMs / 1000).toFixed(1)} s\n`);
    },
    onDone: stop,
    onFail: stop,
  };
}
