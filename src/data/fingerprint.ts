// A data file's identity: its name, size and SHA-256, so that results can say which bytes they
// were trained on and a rerun can tell when the data changed.
//
// Each version of a file is hashed once. Digests are cached on disk by the file's absolute path
// and what changes whenever its bytes may have: size, mtime, ctime and inode. ctime is there
// because `cp -p`, `rsync -t` and `touch -r` set mtime back, and a relabelled label file has the
// same size as the one it replaces; no tool sets ctime back.
//
// The cache is one small JSON file, fingerprints.json, in $NORMBENCH_CACHE, else
// $XDG_CACHE_HOME/normbench, else ~/.cache/normbench. It is only ever a shortcut: a cache that
// cannot be read, parsed or written is ignored (the file is hashed). A write merges what is on
// disk at that moment and renames a temporary file into place, so processes that write at once
// (a pool of workers) can lose an entry, which is hashed again next time, but never the file.

import {createHash, randomBytes} from 'node:crypto';
import {closeSync, createReadStream, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, type Stats} from 'node:fs';
import {homedir} from 'node:os';
import {basename, dirname, join, resolve} from 'node:path';
import {gunzipSync} from 'node:zlib';

/** One data file as results record it. */
export interface DataFile {
  /** The file name, without its directory: the same data read from another place is the same data. */
  name: string;
  /**
   * Your own data (`dataset: {name: files}`): the path as the experiment writes it, relative to the
   * experiment file. Their files are told apart by it (two splits may share a file name).
   */
  path?: string;
  /** Bytes. */
  size: number;
  /** Lower-case hex SHA-256 of the file's bytes, as they are on disk (gzipped or not). */
  sha256: string;
}

/** A cached digest and the state of the file it was computed from. */
interface Entry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
  /** SHA-256 of the decompressed bytes, for a gzip file, once asked for. */
  gunzipped?: string;
  /** When the entry was written (ms since the epoch): the oldest go first when the cache is full. */
  at: number;
}

interface CacheFile {
  version: 1;
  entries: Record<string, Entry>;
}

const CACHE_NAME = 'fingerprints.json';
/** Entries kept: far more than the data sets anyone has, few enough that the file stays small. */
const MAX_ENTRIES = 256;
const CHUNK = 1 << 20;

/** The directory of normbench's cache. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NORMBENCH_CACHE) return resolve(env.NORMBENCH_CACHE);
  if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, 'normbench');
  return join(homedir(), '.cache', 'normbench');
}

/** SHA-256 of a file's bytes, read in chunks. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SHA-256 of a file's bytes, read in chunks, synchronously (the data loaders are synchronous). */
export function sha256FileSync(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buffer, 0, CHUNK, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const isEntry = (e: unknown): e is Entry => {
  const o = e as Partial<Entry> | null;
  return typeof o === 'object' && o !== null && typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256) &&
    [o.size, o.mtimeMs, o.ctimeMs, o.ino, o.at].every((v) => typeof v === 'number') &&
    (o.gunzipped === undefined || (typeof o.gunzipped === 'string' && /^[0-9a-f]{64}$/.test(o.gunzipped)));
};

/** The cache on disk, its bad entries dropped; empty if it cannot be read or parsed. */
function readCache(file: string): CacheFile {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheFile>;
    if (data.version !== 1 || typeof data.entries !== 'object' || data.entries === null) return {version: 1, entries: {}};
    return {version: 1, entries: Object.fromEntries(Object.entries(data.entries).filter(([, e]) => isEntry(e)))};
  } catch {
    return {version: 1, entries: {}};
  }
}

/** Create `dir` a component at a time (mkdir's `recursive` can spin forever on paths such as /proc/x/y). */
function makeDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !statSync(d, {throwIfNoEntry: false}); d = dirname(d)) {
    if (d === dirname(d)) return;
    missing.unshift(d);
  }
  for (const d of missing) mkdirSync(d);
}

/** Add one entry to the cache on disk; any failure leaves the cache as it was. */
function writeEntry(path: string, entry: Entry): void {
  const dir = cacheDir();
  const file = join(dir, CACHE_NAME);
  const tmp = join(dir, `.${CACHE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    makeDir(dir);
    const cache = readCache(file);
    cache.entries[path] = entry;
    const kept = Object.entries(cache.entries).sort(([, a], [, b]) => b.at - a.at).slice(0, MAX_ENTRIES);
    writeFileSync(tmp, `${JSON.stringify({version: 1, entries: Object.fromEntries(kept)})}\n`);
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, {force: true});
    } catch {
      // There is no directory to leave it in.
    }
  }
}

/** Entries read or written by this process, so that a grid's loads read the cache file once. */
const memory = new Map<string, Entry>();
let loadedFrom: string | undefined;

/** The cached entry for `path`, if it was computed from the file as it is now. */
function lookup(path: string, stat: Stats): Entry | undefined {
  const file = join(cacheDir(), CACHE_NAME);
  if (loadedFrom !== file) {
    memory.clear();
    for (const [p, e] of Object.entries(readCache(file).entries)) memory.set(p, e);
    loadedFrom = file;
  }
  const e = memory.get(path);
  return e && e.size === stat.size && e.mtimeMs === stat.mtimeMs && e.ctimeMs === stat.ctimeMs && e.ino === stat.ino ? e : undefined;
}

/** Forget the entries this process has read, so that the next lookup reads the cache file again (tests). */
export function forgetCachedFingerprints(): void {
  memory.clear();
  loadedFrom = undefined;
}

function remember(path: string, entry: Entry): void {
  memory.set(path, entry);
  writeEntry(path, entry);
}

const stateOf = (stat: Stats) => ({size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino});

/** The file's name, size and SHA-256, hashed only if this version of the file has not been. */
export function fingerprint(path: string): DataFile {
  const abs = resolve(path);
  const stat = statSync(abs);
  let entry = lookup(abs, stat);
  if (!entry) {
    entry = {...stateOf(stat), sha256: sha256FileSync(abs), at: Date.now()};
    remember(abs, entry);
  }
  return {name: basename(abs), size: stat.size, sha256: entry.sha256};
}

/** SHA-256 of a gzip file's decompressed bytes, cached like `fingerprint`. */
export function gunzippedSha256(path: string): string {
  const abs = resolve(path);
  const stat = statSync(abs);
  const entry = lookup(abs, stat);
  if (entry?.gunzipped) return entry.gunzipped;
  const bytes = readFileSync(abs);
  const gunzipped = createHash('sha256').update(gunzipSync(bytes)).digest('hex');
  const sha256 = entry?.sha256 ?? createHash('sha256').update(bytes).digest('hex');
  remember(abs, {...stateOf(stat), sha256, gunzipped, at: Date.now()});
  return gunzipped;
}

/**
 * What differs between two recordings of a data set's files, a line each (none: the same data):
 * `train-labels-idx1-ubyte.gz: SHA-256 0ae29f65… → 4c1d9a70… (29491 → 29491 bytes)`.
 */
export function compareDataFiles(before: readonly DataFile[], after: readonly DataFile[]): string[] {
  const now = new Map(after.map((f) => [f.name, f]));
  const was = new Map(before.map((f) => [f.name, f]));
  const short = (sha: string) => `${sha.slice(0, 8)}…`;
  const lines: string[] = [];
  for (const b of before) {
    const a = now.get(b.name);
    if (!a) lines.push(`${b.name}: no longer there`);
    else if (a.sha256 !== b.sha256 || a.size !== b.size) lines.push(`${b.name}: SHA-256 ${short(b.sha256)} → ${short(a.sha256)} (${b.size} → ${a.size} bytes)`);
  }
  for (const a of after) if (!was.has(a.name)) lines.push(`${a.name}: new`);
  return lines;
}
