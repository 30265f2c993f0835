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
//
// A fetch that fails leaves no trace but what a rerun needs: the directories it created are removed
// if they hold nothing, and so is an empty `.part`; a `.part` with bytes in it stays (step 3) and the
// error says so. `fetchDataset` first looks where normbench reads the data from: a checked copy
// there (Debian's package, an earlier fetch) is reported, and nothing is downloaded, unless `force`.

import {existsSync} from 'node:fs';
import {mkdir, open, readdir, rename, rm, rmdir, stat} from 'node:fs/promises';
import http, {type IncomingMessage} from 'node:http';
import https from 'node:https';
import {dirname, join, resolve} from 'node:path';
import {OperationalError, UserError, UserErrors} from '../errors.js';
import {VERSION} from '../version.js';
import {DOWNLOAD_SOURCES, type DownloadName, type RemoteFile} from './downloads.js';
import {fingerprint, sha256File} from './fingerprint.js';

export interface FetchedFile {
  name: string;
  sha256: string;
  bytes: number;
  status: 'downloaded' | 'present';
}

export interface FetchResult {
  /** Absolute path of the target directory, or of the copy found (`found`). */
  dir: string;
  files: FetchedFile[];
  /** A checked copy was already where normbench looks for the data (`dir`): nothing was downloaded. */
  found?: true;
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
  /** Replace present files whose checksum is wrong (fetchDataset: and download even if a copy is installed). */
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
  const dir = resolve(options.dir ?? source.defaultDir);
  // A target that holds every file is checked file by file below; otherwise a copy may be elsewhere.
  if (!options.force && !source.files.every((f) => existsSync(join(dir, f.name)))) {
    const copy = source.installed();
    if (copy) return {dir: copy.dir, files: copy.files.map((f) => ({name: f.name, sha256: f.sha256, bytes: f.size, status: 'present'})), found: true};
  }
  return fetchFiles({...options, baseUrl, dir, files: source.files});
}

/** Download `files` from `baseUrl` into `dir`, verified; see the steps at the top of this file. */
export async function fetchFiles(options: FetchOptions): Promise<FetchResult> {
  const base = parseBaseUrl(options.baseUrl);
  const dir = resolve(options.dir);
  let created: string | undefined;
  try {
    created = await mkdir(dir, {recursive: true});
  } catch (error) {
    throw new UserError(`Cannot create the directory ${dir}: ${(error as Error).message}`, undefined, 'path');
  }
  try {
    return await fetchInto(dir, base, options);
  } catch (error) {
    await tidyUp(dir, created, options.files);
    throw error;
  }
}

/** After a failure: empty `.part` files go, then the directories this fetch created, if empty. */
async function tidyUp(dir: string, created: string | undefined, files: readonly RemoteFile[]): Promise<void> {
  for (const file of files) {
    const part = join(dir, `${file.name}.part`);
    if (existsSync(part) && (await sizeOf(part)) === 0) await rm(part, {force: true});
  }
  if (created === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    if ((await readdir(d).catch(() => ['?'])).length > 0) return;
    await rmdir(d).catch(() => undefined);
    if (d === created || d === dirname(d)) return;
  }
}

async function fetchInto(dir: string, base: URL, options: FetchOptions): Promise<FetchResult> {
  const hooks = options.hooks ?? {};
  // Every present file is checked before anything is downloaded, so a bad one fails fast.
  const present = new Map<string, FetchedFile>();
  const wrong: UserError[] = [];
  for (const file of options.files) {
    const path = join(dir, file.name);
    if (!existsSync(path)) continue;
    const {sha256, size} = fingerprint(path);
    if (sha256 === file.sha256 || file.alternatives?.includes(sha256)) present.set(file.name, {name: file.name, sha256, bytes: size, status: 'present'});
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
