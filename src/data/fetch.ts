// Downloading a data set's files, each checked against a SHA-256 fixed in this file.
//
// For each file, in order:
//   1. `<name>` present with the right SHA-256: skipped. Present with another: an error, unless
//      `force`, in which case it is replaced (only ever by a verified download).
//   2. Download to `<name>.part`. A `.part` left by an earlier run is continued with an HTTP Range
//      request; a server that answers 200 instead of 206 sends the whole file, which replaces it.
//   3. A network error or a body shorter than announced is retried, with exponential backoff,
//      continuing from what arrived. The `.part` outlives a run that gives up, so the next resumes.
//   4. Hash the complete `.part`. A mismatch deletes it (and, if it was resumed from an old `.part`,
//      is retried once from byte 0 before failing): a bad file is never left behind.
//   5. Rename `.part` to `<name>`: atomic, so `<name>` is always either absent or verified.

import {createHash} from 'node:crypto';
import {createReadStream, existsSync} from 'node:fs';
import {mkdir, open, rename, rm, stat} from 'node:fs/promises';
import http, {type IncomingMessage} from 'node:http';
import https from 'node:https';
import {join, resolve} from 'node:path';
import cliProgress from 'cli-progress';
import {OperationalError, UserError, UserErrors} from '../errors.js';
import {VERSION} from '../version.js';
import {FASHION_MNIST_FILES} from './fashion-mnist.js';

/** One file to download: its name under the base URL and the target directory, and its digest. */
export interface RemoteFile {
  name: string;
  /** Lower-case hex SHA-256 of the exact bytes. */
  sha256: string;
  /** Size in bytes, when known: the progress total when the server sends no Content-Length. */
  bytes?: number;
}

/** Where a downloadable data set lives and what it consists of. */
export interface DownloadSource {
  title: string;
  baseUrl: string;
  /** Environment variable naming a mirror (the `--base-url` flag wins over it). */
  envVar: string;
  /** Default target, relative to the working directory: a place the loader searches. */
  defaultDir: string;
  files: readonly RemoteFile[];
}

export const DOWNLOADS = ['fashion-mnist'] as const;
export type DownloadName = (typeof DOWNLOADS)[number];

export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

// The official release's .gz files. Zalando's README publishes MD5s only (train-images
// 8d4fb7e6c68d591d4c3dfef9ec88bf0d, train-labels 25c81989df183df01b3e8a0aad5dffbe, t10k-images
// bef4ecab320f06d8554ea6380940ec79, t10k-labels bb300cfdad3c16e7a12a480ee83cd310). The SHA-256s and
// sizes are those pinned for the same URLs by TensorFlow Datasets
// (tensorflow_datasets/url_checksums/fashion_mnist.txt) and torchvision's prototype FashionMNIST.
// Checked locally against Debian's dataset-fashion-mnist: its .gz files carry the same deflate streams,
// but strip-nondeterminism rewrote their gzip headers (file name dropped, MTIME set to the 2020 build
// date), so their own MD5s differ from the README's. Putting back the name and the original MTIME
// (1504176606 for train, 1504176627 for t10k, i.e. 2017-08-31 10:50 UTC, found by trying MTIMEs until
// the README's MD5 came out) reproduces files with the README's MD5s, these sizes and these SHA-256s.
// test/data/fetch.test.ts repeats that check whenever the Debian package is installed.
export const FASHION_MNIST_DOWNLOADS: readonly RemoteFile[] = [
  {name: `${FASHION_MNIST_FILES.trainImages}.gz`, bytes: 26_421_880, sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'},
  {name: `${FASHION_MNIST_FILES.trainLabels}.gz`, bytes: 29_515, sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'},
  {name: `${FASHION_MNIST_FILES.testImages}.gz`, bytes: 4_422_102, sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'},
  {name: `${FASHION_MNIST_FILES.testLabels}.gz`, bytes: 5_148, sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'},
];

export const DOWNLOAD_SOURCES: Record<DownloadName, DownloadSource> = {
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    baseUrl: FASHION_MNIST_BASE_URL,
    envVar: 'NORMBENCH_FASHION_MNIST_URL',
    defaultDir: join('data', 'fashion-mnist'),
    files: FASHION_MNIST_DOWNLOADS,
  },
};

export interface FetchedFile {
  name: string;
  sha256: string;
  bytes: number;
  status: 'downloaded' | 'present';
}

export interface FetchResult {
  /** Absolute path of the target directory. */
  dir: string;
  files: FetchedFile[];
}

/** Progress events; every one optional. `offset` is where a resumed transfer starts. */
export interface FetchHooks {
  onPresent?(file: FetchedFile): void;
  onStart?(file: RemoteFile, info: {url: string; offset: number; total: number | undefined}): void;
  onData?(file: RemoteFile, received: number, total: number | undefined): void;
  onRetry?(file: RemoteFile, info: {attempt: number; attempts: number; delayMs: number; error: Error}): void;
  onDone?(file: FetchedFile): void;
  /** The file failed (after any retries); the error is thrown next. */
  onFail?(file: RemoteFile, error: Error): void;
}

export interface FetchOptions {
  baseUrl: string;
  dir: string;
  files: readonly RemoteFile[];
  /** Replace present files whose checksum is wrong. */
  force?: boolean;
  /** Retries after the first attempt, per file. */
  retries?: number;
  /** First delay between attempts; doubled each time. */
  backoffMs?: number;
  /** Give up on a connection silent for this long (then retry). */
  timeoutMs?: number;
  hooks?: FetchHooks;
}

/** A download that failed for lack of a working server or network (exit 1): not the user's input. */
export class DownloadError extends OperationalError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'network', options);
    this.name = 'DownloadError';
  }
}

/** A failure that may pass: a reset connection, a short body, a 5xx. */
class TransientError extends Error {}

const DEFAULTS = {retries: 4, backoffMs: 500, timeoutMs: 30_000};
const MAX_REDIRECTS = 5;

/** Fetch one of the known data sets, resolving mirror and directory defaults. */
export async function fetchDataset(
  name: DownloadName,
  options: {dir?: string; baseUrl?: string; force?: boolean; hooks?: FetchHooks} = {},
): Promise<FetchResult> {
  const source = DOWNLOAD_SOURCES[name];
  const baseUrl = options.baseUrl ?? (process.env[source.envVar] || source.baseUrl);
  return fetchFiles({...options, baseUrl, dir: options.dir ?? source.defaultDir, files: source.files});
}

/** Download `files` from `baseUrl` into `dir`, verified; see the steps at the top of this file. */
export async function fetchFiles(options: FetchOptions): Promise<FetchResult> {
  const base = parseBaseUrl(options.baseUrl);
  const dir = resolve(options.dir);
  const hooks = options.hooks ?? {};
  try {
    await mkdir(dir, {recursive: true});
  } catch (error) {
    throw new UserError(`Cannot create the directory ${dir}: ${(error as Error).message}`, undefined, 'path');
  }
  // Every present file is checked before anything is downloaded, so a bad one fails fast.
  const present = new Map<string, FetchedFile>();
  const wrong: UserError[] = [];
  for (const file of options.files) {
    const path = join(dir, file.name);
    if (!existsSync(path)) continue;
    const sha256 = await sha256File(path);
    if (sha256 === file.sha256) present.set(file.name, {name: file.name, sha256, bytes: (await stat(path)).size, status: 'present'});
    else if (!options.force) wrong.push(new UserError(`${path}: SHA-256 ${sha256}, expected ${file.sha256}. Delete it, or rerun with --force to download it again.`, undefined, 'data'));
  }
  if (wrong.length === 1) throw wrong[0]!;
  if (wrong.length > 1) throw new UserErrors(wrong);

  const files: FetchedFile[] = [];
  for (const file of options.files) {
    const done = present.get(file.name);
    if (done) {
      hooks.onPresent?.(done);
      files.push(done);
      continue;
    }
    try {
      const fetched = await fetchOne(file, new URL(file.name, base).href, dir, options, hooks);
      hooks.onDone?.(fetched);
      files.push(fetched);
    } catch (error) {
      hooks.onFail?.(file, error as Error);
      throw error;
    }
  }
  return {dir, files};
}

function parseBaseUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text.endsWith('/') ? text : `${text}/`);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UserError(`Base URL "${text}" is not an http:// or https:// URL`, undefined, 'usage');
  }
  return url;
}

/** Steps 2–5 for one file. */
async function fetchOne(file: RemoteFile, url: string, dir: string, options: FetchOptions, hooks: FetchHooks): Promise<FetchedFile> {
  const target = join(dir, file.name);
  const part = `${target}.part`;
  const resumed = (await sizeOf(part)) > 0;
  await download(file, url, part, options, hooks);
  let sha256 = await sha256File(part);
  if (sha256 !== file.sha256 && resumed) {
    // The old .part may hold another version's bytes: start over once before blaming the server.
    await rm(part, {force: true});
    await download(file, url, part, options, hooks);
    sha256 = await sha256File(part);
  }
  const bytes = await sizeOf(part);
  if (sha256 !== file.sha256) {
    await rm(part, {force: true});
    throw new UserError(
      `${file.name}: SHA-256 mismatch for the ${bytes} bytes downloaded from ${url}: expected ${file.sha256}, got ${sha256}. ` +
        `The download was deleted; ${target} was not written. A mirror must serve the official files byte for byte.`,
      undefined,
      'data',
    );
  }
  await rename(part, target);
  return {name: file.name, sha256, bytes, status: 'downloaded'};
}

/** Bring `part` to the whole file, retrying transient failures; step 3. */
async function download(file: RemoteFile, url: string, part: string, options: FetchOptions, hooks: FetchHooks): Promise<void> {
  const retries = options.retries ?? DEFAULTS.retries;
  const backoffMs = options.backoffMs ?? DEFAULTS.backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await transfer(file, url, part, options.timeoutMs ?? DEFAULTS.timeoutMs, hooks);
      return;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (attempt > retries) {
        const have = await sizeOf(part);
        const kept = have > 0 ? ` The ${have} bytes received are kept in ${part}; run again to resume.` : '';
        throw new DownloadError(`${file.name}: download from ${url} failed after ${attempt} attempts: ${error.message}.${kept}`, {cause: error});
      }
      const delayMs = backoffMs * 2 ** (attempt - 1);
      hooks.onRetry?.(file, {attempt, attempts: retries + 1, delayMs, error});
      await new Promise((done) => setTimeout(done, delayMs));
    }
  }
}

/** One HTTP exchange appending to (or replacing) `part`. Throws TransientError for what a retry may fix. */
async function transfer(file: RemoteFile, url: string, part: string, timeoutMs: number, hooks: FetchHooks): Promise<void> {
  let offset = await sizeOf(part);
  if (file.bytes !== undefined && offset > file.bytes) {
    await rm(part, {force: true});
    offset = 0;
  }
  const res = await get(url, offset, timeoutMs);
  try {
    // 1. What the server sends: the rest (206), everything (200) or nothing (416, already complete).
    let total = contentLength(res);
    if (res.statusCode === 416) {
      const size = /^bytes \*\/(\d+)$/.exec(res.headers['content-range'] ?? '');
      if (size && Number(size[1]) === offset) return;
      await rm(part, {force: true});
      throw new TransientError(`the server refused to resume at byte ${offset}; starting over`);
    }
    if (res.statusCode === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
      if (!range || Number(range[1]) !== offset) {
        await rm(part, {force: true});
        throw new TransientError(`the server resumed at the wrong place (Content-Range "${res.headers['content-range'] ?? ''}"); starting over`);
      }
      total = range[3] === '*' ? undefined : Number(range[3]);
    } else if (res.statusCode === 200) {
      offset = 0;
      if (total === undefined) total = file.bytes;
    } else {
      const message = `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      const status = res.statusCode ?? 0;
      if (status >= 500 || status === 408 || status === 429) throw new TransientError(message);
      throw new DownloadError(`${file.name}: ${message} from ${url}`);
    }
    // 2. Stream the body to disk, telling network failures (retried) from disk ones (not).
    hooks.onStart?.(file, {url, offset, total});
    const handle = await open(part, offset > 0 ? 'a' : 'w');
    let received = offset;
    try {
      const body = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await body.next();
        } catch (error) {
          throw new TransientError(`connection lost after ${received} bytes (${(error as Error).message})`);
        }
        if (next.done) break;
        await handle.write(next.value);
        received += next.value.length;
        hooks.onData?.(file, received, total);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    // 3. A body that ends early is a truncation, whatever the connection claimed.
    if (total !== undefined && received < total) {
      throw new TransientError(`the body ended after ${received} of ${total} bytes`);
    }
  } finally {
    res.destroy();
  }
}

/** GET `url` from byte `offset`, following redirects. */
async function get(url: string, offset: number, timeoutMs: number): Promise<IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await request(current, offset, timeoutMs);
    const location = res.headers.location;
    if (!location || ![301, 302, 303, 307, 308].includes(res.statusCode ?? 0)) return res;
    res.destroy();
    if (hop === MAX_REDIRECTS) throw new DownloadError(`${url}: more than ${MAX_REDIRECTS} redirects`);
    current = new URL(location, current);
  }
}

function request(url: URL, offset: number, timeoutMs: number): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = {'User-Agent': `normbench/${VERSION}`, 'Accept-Encoding': 'identity'};
  if (offset > 0) headers.Range = `bytes=${offset}-`;
  return new Promise((resolveResponse, reject) => {
    const req = client.get(url, {headers}, resolveResponse);
    // Also covers a body that stalls: the timer is the socket's idle time.
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code && !error.message.includes(error.code) ? ` (${error.code})` : '';
      reject(new TransientError(`${error.message}${code}`));
    });
  });
}

function contentLength(res: IncomingMessage): number | undefined {
  const text = res.headers['content-length'];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

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
