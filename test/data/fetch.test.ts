// `data fetch`: downloads from a local HTTP server (127.0.0.1 only) that serves good, corrupt,
// truncated, stalled and resumable responses; the official table against Debian's files; and the
// real CLI end to end.
//
// backend-independent: downloads and checksums; no tensors.

import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Writable} from 'node:stream';
import type {ExecutionContext} from 'ava';
import test from '../ava.js';
import {DEBIAN_DIR} from '../../src/data/fashion-mnist.js';
import {DownloadError, fetchFiles, type FetchHooks, type FetchOptions} from '../../src/data/fetch.js';
import {FASHION_MNIST_DOWNLOADS, type RemoteFile} from '../../src/data/downloads.js';
import {fetchProgress} from '../../src/data/fetch-progress.js';
import {UserError} from '../../src/errors.js';
import {cliInProcess, REPO} from '../helpers.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** Deterministic pseudo-random bytes: SHA-256 in counter mode. */
function bytesOf(seed: string, n: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; 32 * blocks.length < n; i++) blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, n);
}

// Big enough that half a body is many TCP chunks; small enough to be instant.
const A = bytesOf('a', 200_000);
const B = bytesOf('b', 3_000);
const HALF = A.length / 2;
const FILES: RemoteFile[] = [
  {name: 'a.bin', sha256: sha256(A), bytes: A.length},
  {name: 'b.bin', sha256: sha256(B), bytes: B.length},
];
const GOOD: Record<string, Buffer> = {'/a.bin': A, '/b.bin': B};

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'normbench-fetch-'));
  t.teardown(() => rmSync(dir, {recursive: true, force: true}));
  return dir;
}

interface Served {
  url: string;
  requests: {path: string; range: string | undefined}[];
}

/** `n` counts the requests for this path so far (1 = first). */
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

async function serve(t: ExecutionContext, handler: Handler): Promise<Served> {
  const requests: Served['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({path, range: req.headers.range});
    handler(req, res, requests.filter((r) => r.path === path).length);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  }));
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests};
}

/** A well-behaved static server; with `range`, it answers `Range: bytes=N-` with 206 (or 416). */
function sendFile(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer | undefined, range = true): void {
  if (!body) {
    res.writeHead(404).end('not found');
    return;
  }
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range && m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, {'Content-Range': `bytes */${body.length}`}).end();
      return;
    }
    res.writeHead(206, {'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`});
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, {'Content-Length': body.length, 'Accept-Ranges': range ? 'bytes' : 'none'}).end(body);
}

const good: Handler = (req, res) => sendFile(req, res, GOOD[req.url ?? '']);

/** Records what the hooks saw, as short strings. */
function recorder(): {hooks: FetchHooks; events: string[]} {
  const events: string[] = [];
  return {
    events,
    hooks: {
      onPresent: (f) => events.push(`present ${f.name}`),
      onStart: (f, {offset}) => events.push(`start ${f.name} @${offset}`),
      onRetry: (f, {attempt, error}) => events.push(`retry ${f.name} #${attempt}: ${error.message}`),
      onDone: (f) => events.push(`done ${f.name}`),
      onFail: (f) => events.push(`fail ${f.name}`),
    },
  };
}

const fast = (o: Omit<FetchOptions, 'files'> & {files?: RemoteFile[]}): FetchOptions => ({files: FILES, backoffMs: 5, ...o});

test('downloads every file, verified, into a new directory; a rerun skips them without a request', async (t) => {
  const server = await serve(t, good);
  const dir = join(tempDir(t), 'nested', 'dir');
  const result = await fetchFiles(fast({baseUrl: server.url, dir}));
  t.is(result.dir, dir);
  t.deepEqual(result.files, [
    {name: 'a.bin', sha256: sha256(A), bytes: A.length, status: 'downloaded'},
    {name: 'b.bin', sha256: sha256(B), bytes: B.length, status: 'downloaded'},
  ]);
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.deepEqual(readdirSync(dir).sort(), ['a.bin', 'b.bin']);
  t.deepEqual(server.requests, [{path: '/a.bin', range: undefined}, {path: '/b.bin', range: undefined}]);

  const {hooks, events} = recorder();
  const again = await fetchFiles(fast({baseUrl: server.url.slice(0, -1), dir, hooks}));
  t.deepEqual(again.files.map((f) => f.status), ['present', 'present']);
  t.deepEqual(events, ['present a.bin', 'present b.bin']);
  t.is(server.requests.length, 2, 'no request for files already present');
});

test('a corrupt file is refused: UserError (exit 2, code data) naming file and both SHA-256s; nothing left behind', async (t) => {
  const wrong = Buffer.from(B).fill(7, 100, 200);
  const server = await serve(t, (req, res) => sendFile(req, res, req.url === '/b.bin' ? wrong : GOOD[req.url ?? '']));
  const dir = tempDir(t);
  const {hooks, events} = recorder();
  const error = await t.throwsAsync(fetchFiles(fast({baseUrl: server.url, dir, files: [FILES[1]!, FILES[0]!], hooks})), {instanceOf: UserError});
  t.is(error.code, 'data');
  t.is(error.exitCode, 2);
  t.regex(error.message, /^b\.bin: SHA-256 mismatch/);
  t.true(error.message.includes(`expected ${sha256(B)}, got ${sha256(wrong)}`), error.message);
  t.deepEqual(readdirSync(dir), [], 'no file, no .part');
  t.deepEqual(events, ['start b.bin @0', 'fail b.bin']);
  t.is(server.requests.length, 1, 'a checksum failure is not retried, and stops the run');
});

test('a connection cut mid-body is retried, resuming with a Range request', async (t) => {
  const server = await serve(t, (req, res, n) => {
    if (req.url === '/a.bin' && n === 1) {
      res.writeHead(200, {'Content-Length': A.length});
      res.write(A.subarray(0, HALF), () => res.destroy());
      return;
    }
    good(req, res, n);
  });
  const dir = tempDir(t);
  const {hooks, events} = recorder();
  const result = await fetchFiles(fast({baseUrl: server.url, dir, hooks}));
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.deepEqual(result.files.map((f) => f.status), ['downloaded', 'downloaded']);
  // A reset may drop bytes in flight, so the client resumes from what it actually received.
  const received = Number(/^start a\.bin @(\d+)$/.exec(events[2] ?? '')?.[1]);
  t.true(received > 0 && received <= HALF, events.join('\n'));
  t.deepEqual(server.requests.filter((r) => r.path === '/a.bin').map((r) => r.range), [undefined, `bytes=${received}-`]);
  t.is(events[0], 'start a.bin @0');
  t.regex(events[1]!, new RegExp(`^retry a\\.bin #1: (connection lost|the body ended) after ${received} bytes`));
});

test('a server that lies about Content-Length (fewer bytes, then a clean close) is retried', async (t) => {
  const server = await serve(t, (req, res, n) => {
    if (req.url === '/a.bin' && n === 1) {
      const socket = res.socket; // detached from res once the response ends
      res.writeHead(200, {'Content-Length': A.length + 1000});
      res.end(A, () => socket?.end());
      return;
    }
    sendFile(req, res, GOOD[req.url ?? ''], false);
  });
  const dir = tempDir(t);
  const {hooks, events} = recorder();
  await fetchFiles(fast({baseUrl: server.url, dir, hooks}));
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.true(events.some((e) => e.startsWith('retry a.bin #1')), events.join('\n'));
});

test('without Content-Length, a body shorter than the known size is a truncation too', async (t) => {
  const server = await serve(t, (req, res, n) => {
    if (req.url === '/a.bin' && n === 1) {
      res.writeHead(200, {Connection: 'close'});
      res.end(A.subarray(0, HALF));
      return;
    }
    sendFile(req, res, GOOD[req.url ?? ''], false);
  });
  const dir = tempDir(t);
  const {hooks, events} = recorder();
  await fetchFiles(fast({baseUrl: server.url, dir, hooks}));
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.true(events.includes(`retry a.bin #1: the body ended after ${HALF} of ${A.length} bytes`), events.join('\n'));
});

test('resume: a .part holding the first half is continued with Range and completed', async (t) => {
  const server = await serve(t, good);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.bin.part'), A.subarray(0, HALF));
  const {hooks, events} = recorder();
  const result = await fetchFiles(fast({baseUrl: server.url, dir, hooks}));
  t.deepEqual(server.requests[0], {path: '/a.bin', range: `bytes=${HALF}-`});
  t.is(server.requests.length, 2);
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.is(result.files[0]!.status, 'downloaded');
  t.is(events[0], `start a.bin @${HALF}`);
  t.deepEqual(readdirSync(dir).sort(), ['a.bin', 'b.bin']);
});

test('a server without Range support answers 200 with the whole file, which replaces the .part', async (t) => {
  const server = await serve(t, (req, res) => sendFile(req, res, GOOD[req.url ?? ''], false));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.bin.part'), A.subarray(0, HALF));
  await fetchFiles(fast({baseUrl: server.url, dir}));
  t.is(server.requests[0]!.range, `bytes=${HALF}-`);
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
});

test('a stale .part with other bytes fails its checksum once, then is downloaded again from byte 0', async (t) => {
  const server = await serve(t, good);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.bin.part'), bytesOf('an older version', HALF));
  await fetchFiles(fast({baseUrl: server.url, dir}));
  t.deepEqual(server.requests.filter((r) => r.path === '/a.bin').map((r) => r.range), [`bytes=${HALF}-`, undefined]);
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
});

test('a complete .part answered with 416 is verified and moved into place', async (t) => {
  const server = await serve(t, good);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.bin.part'), A);
  const result = await fetchFiles(fast({baseUrl: server.url, dir}));
  t.is(server.requests[0]!.range, `bytes=${A.length}-`);
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.is(result.files[0]!.status, 'downloaded');
});

test('a present file with the wrong checksum is an error before any download; --force replaces it', async (t) => {
  const server = await serve(t, good);
  const dir = tempDir(t);
  const bad = bytesOf('not a', 10);
  writeFileSync(join(dir, 'b.bin'), bad);
  const error = await t.throwsAsync(fetchFiles(fast({baseUrl: server.url, dir})), {instanceOf: UserError});
  t.is(error.code, 'data');
  t.is(error.message, `${join(dir, 'b.bin')}: SHA-256 ${sha256(bad)}, expected ${sha256(B)}. Delete it, or rerun with --force to download it again.`);
  t.is(server.requests.length, 0);
  t.deepEqual(readFileSync(join(dir, 'b.bin')), bad, 'left as it was');

  const result = await fetchFiles(fast({baseUrl: server.url, dir, force: true}));
  t.deepEqual(result.files.map((f) => f.status), ['downloaded', 'downloaded']);
  t.deepEqual(readFileSync(join(dir, 'b.bin')), B);
});

test('--force never puts a bad download in place of a bad file: it stays, and the download is deleted', async (t) => {
  const server = await serve(t, (req, res) => sendFile(req, res, bytesOf('corrupt', 3_000)));
  const dir = tempDir(t);
  const bad = bytesOf('not b', 10);
  writeFileSync(join(dir, 'b.bin'), bad);
  await t.throwsAsync(fetchFiles(fast({baseUrl: server.url, dir, force: true, files: [FILES[1]!]})), {message: /^b\.bin: SHA-256 mismatch/});
  t.deepEqual(readdirSync(dir), ['b.bin']);
  t.deepEqual(readFileSync(join(dir, 'b.bin')), bad);
});

test('giving up after the retries keeps the .part; the next run resumes from it', async (t) => {
  const dying = await serve(t, (_req, res, n) => {
    res.writeHead(200, {'Content-Length': A.length});
    if (n === 1) res.write(A.subarray(0, HALF), () => res.destroy());
    else res.destroy();
  });
  const dir = tempDir(t);
  const {hooks, events} = recorder();
  const error = await t.throwsAsync(fetchFiles(fast({baseUrl: dying.url, dir, retries: 2, hooks})), {instanceOf: DownloadError});
  const kept = readFileSync(join(dir, 'a.bin.part'));
  t.true(kept.length > 0 && kept.length <= HALF && kept.equals(A.subarray(0, kept.length)));
  t.regex(error.message, /^a\.bin: download from http:\/\/127\.0\.0\.1:\d+\/a\.bin failed after 3 attempts: .+\. /);
  t.true(error.message.endsWith(`. The ${kept.length} bytes received are kept in ${join(dir, 'a.bin.part')}; run again to resume.`), error.message);
  t.is(events.filter((e) => e.startsWith('retry')).length, 2);
  t.is(events.at(-1), 'fail a.bin');
  t.deepEqual(readdirSync(dir), ['a.bin.part']);

  const server = await serve(t, good);
  await fetchFiles(fast({baseUrl: server.url, dir}));
  t.is(server.requests[0]!.range, `bytes=${kept.length}-`);
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
});

test('a refused connection is retried with growing delays, then reported as a DownloadError (exit 1)', async (t) => {
  const server = http.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise((done) => server.close(done));
  const delays: number[] = [];
  const error = await t.throwsAsync(
    fetchFiles(fast({baseUrl: `http://127.0.0.1:${port}/`, dir: tempDir(t), retries: 3, backoffMs: 2, hooks: {onRetry: (_f, r) => delays.push(r.delayMs)}})),
    {instanceOf: DownloadError},
  );
  t.deepEqual(delays, [2, 4, 8]);
  t.regex(error.message, /failed after 4 attempts: .*ECONNREFUSED/);
});

test('HTTP 404 is not retried; HTTP 503 is', async (t) => {
  const missing = await serve(t, (_req, res) => res.writeHead(404).end());
  await t.throwsAsync(fetchFiles(fast({baseUrl: missing.url, dir: tempDir(t)})), {instanceOf: DownloadError, message: /^a\.bin: HTTP 404 Not Found from http:/});
  t.is(missing.requests.length, 1);

  const busy = await serve(t, (req, res, n) => (n === 1 ? res.writeHead(503).end() : good(req, res, n)));
  const dir = tempDir(t);
  await fetchFiles(fast({baseUrl: busy.url, dir}));
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
});

test('a stalled connection times out and is retried; redirects are followed', async (t) => {
  const server = await serve(t, (req, res, n) => {
    if (req.url === '/a.bin' && n === 1) {
      res.writeHead(200, {'Content-Length': A.length});
      res.write(A.subarray(0, 1000));
      return;
    }
    if (req.url === '/b.bin') {
      res.writeHead(302, {Location: '/moved/b.bin'}).end();
      return;
    }
    sendFile(req, res, req.url === '/moved/b.bin' ? B : GOOD[req.url ?? '']);
  });
  const dir = tempDir(t);
  const {hooks, events} = recorder();
  // Short enough to keep the test quick; on a loaded machine a healthy request may time out too and
  // be retried, so only the stalled one's retry is asserted.
  await fetchFiles(fast({baseUrl: server.url, dir, timeoutMs: 500, hooks}));
  t.true(events.some((e) => /^retry a\.bin #1: connection lost after 1000 bytes \(.*\)$/.test(e)), events.join('\n'));
  t.deepEqual(readFileSync(join(dir, 'a.bin')), A);
  t.deepEqual(readFileSync(join(dir, 'b.bin')), B);
  t.deepEqual(server.requests.slice(0, 2).map((r) => r.path), ['/a.bin', '/a.bin']);
  t.true(server.requests.some((r) => r.path === '/moved/b.bin'), 'the redirect was followed');
});

test('a base URL that is not http(s) is a usage error', async (t) => {
  for (const baseUrl of ['ftp://example.org/', 'not a url']) {
    const error = await t.throwsAsync(fetchFiles(fast({baseUrl, dir: tempDir(t)})), {instanceOf: UserError});
    t.is(error.code, 'usage');
    t.is(error.message, `Base URL "${baseUrl}" is not an http:// or https:// URL`);
  }
});

/** A stream that keeps what is written, optionally posing as a terminal. */
function capture(isTTY: boolean): {stream: NodeJS.WriteStream; text: () => string} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, {isTTY, columns: 120});
  return {stream, text: () => chunks.join('')};
}

test('progress off a terminal: a line per file with its size and speed, one per retry, one when skipped', async (t) => {
  const server = await serve(t, (req, res, n) => (req.url === '/b.bin' && n === 1 ? res.writeHead(503).end() : good(req, res, n)));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.bin'), A);
  const out = capture(false);
  await fetchFiles(fast({baseUrl: server.url, dir, hooks: fetchProgress({stream: out.stream})}));
  const lines = out.text().trimEnd().split('\n');
  t.is(lines.length, 4, out.text());
  t.is(lines[0], 'a.bin: already present, SHA-256 ok (200.0 kB); skipped');
  t.regex(lines[1]!, /^b\.bin: HTTP 503 Service Unavailable; retry 1\/4 in 0\.0 s$/);
  t.is(lines[2], `b.bin: downloading 3.00 kB from ${server.url}b.bin`);
  t.regex(lines[3]!, /^b\.bin: 3\.00 kB in \d+\.\d s \(\S+ \S?B\/s\), SHA-256 ok$/);
  t.is(capture(false).text(), '');
  t.deepEqual(fetchProgress({quiet: true}), {});
});

test('progress on a terminal: a cli-progress bar per file with bytes, total and speed', async (t) => {
  const server = await serve(t, good);
  const out = capture(true);
  await fetchFiles(fast({baseUrl: server.url, dir: tempDir(t), hooks: fetchProgress({stream: out.stream})}));
  const text = out.text();
  t.regex(text, /a\.bin \|█+\| 100% · 200\.0 kB \/ 200\.0 kB · \S+ \S?B\/s/);
  t.regex(text, /b\.bin \|█+\| 100% · 3\.00 kB \/ 3\.00 kB/);
});

// The official table against Debian's dataset-fashion-mnist. Debian's .gz files are the official ones
// with the gzip header normalised by strip-nondeterminism (FNAME dropped, MTIME set to the build
// date); putting back the name and the original MTIME must give the official bytes. The MTIMEs were
// found by trying values until the MD5 in Zalando's README came out.
const PUBLISHED_MD5: Record<string, string> = {
  'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
  'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
  't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
  't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
};
const OFFICIAL_MTIME = (name: string) => (name.startsWith('train') ? 1504176606 : 1504176627);
const FNAME = 0x08;

/** The official .gz bytes, rebuilt from Debian's copy (which is used as is if it kept its header). */
function officialFromDebian(name: string): Buffer {
  const debian = readFileSync(join(DEBIAN_DIR, name));
  if (debian[3]! & FNAME) return debian;
  const header = Buffer.from(debian.subarray(0, 10));
  header[3] = FNAME;
  header.writeUInt32LE(OFFICIAL_MTIME(name), 4);
  return Buffer.concat([header, Buffer.from(`${name.replace(/\.gz$/, '')}\0`, 'latin1'), debian.subarray(10)]);
}

const HAVE_DEBIAN = FASHION_MNIST_DOWNLOADS.every((f) => existsSync(join(DEBIAN_DIR, f.name)));
const debianTest = HAVE_DEBIAN ? test : test.skip;
const needsDebian = HAVE_DEBIAN ? '' : ` [skipped: ${DEBIAN_DIR} not installed (apt-get install dataset-fashion-mnist)]`;

debianTest(`the hard-coded Fashion-MNIST table matches Debian's files, restored to the official bytes${needsDebian}`, (t) => {
  t.is(FASHION_MNIST_DOWNLOADS.length, 4);
  for (const file of FASHION_MNIST_DOWNLOADS) {
    const official = officialFromDebian(file.name);
    t.is(md5(official), PUBLISHED_MD5[file.name]!, `${file.name}: MD5 as published in the Fashion-MNIST README`);
    t.is(sha256(official), file.sha256, `${file.name}: SHA-256`);
    t.is(official.length, file.bytes!, `${file.name}: size`);
  }
});

// End to end through the real CLI. spawnSync would block the event loop the server runs on. (The
// unknown name, which needs no download, runs the same command in this process: cliInProcess.)
const BIN = join(REPO, 'bin', 'run.js');

function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd, env: {...process.env, NORMBENCH_DATA: '', NORMBENCH_FASHION_MNIST_URL: '', ...env}});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('close', (code) => done({code, stdout, stderr}));
  });
}

test('CLI: a file failing its checksum exits 2 with both SHA-256s, and leaves nothing behind, not even the directory', async (t) => {
  const wrong = Buffer.from('these are not the official bytes\n');
  const server = await serve(t, (req, res) => sendFile(req, res, wrong));
  const cwd = tempDir(t);
  const dir = join(cwd, 'fm');
  // --force: download even where a copy is installed (Debian's, on machines that have it).
  const r = await cli(['data', 'fetch', 'fashion-mnist', '--dir', dir, '--base-url', server.url, '--quiet', '--force'], cwd);
  t.is(r.code, 2, r.stderr);
  const first = FASHION_MNIST_DOWNLOADS[0]!;
  t.true(r.stderr.includes(`${first.name}: SHA-256 mismatch`), r.stderr);
  t.true(r.stderr.includes(`expected ${first.sha256}, got ${sha256(wrong)}`), r.stderr);
  t.deepEqual(readdirSync(cwd), []);
  t.is(r.stdout, '');
});

test('a fetch that fails leaves no directory it created, and no empty .part; a directory that was there stays', async (t) => {
  const server = http.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise((done) => server.close(done));
  const root = tempDir(t);
  const unreachable = `http://127.0.0.1:${port}/`;
  await t.throwsAsync(fetchFiles(fast({baseUrl: unreachable, dir: join(root, 'a', 'b', 'c'), retries: 0})), {instanceOf: DownloadError, message: /ECONNREFUSED/});
  t.deepEqual(readdirSync(root), [], 'a, a/b and a/b/c removed');
  mkdirSync(join(root, 'kept'));
  await t.throwsAsync(fetchFiles(fast({baseUrl: unreachable, dir: join(root, 'kept', 'new'), retries: 0})), {instanceOf: DownloadError});
  t.deepEqual(readdirSync(root), ['kept']);
  t.deepEqual(readdirSync(join(root, 'kept')), []);
  // Headers, then the connection drops before any byte: the .part opened for the body is empty, and goes.
  const dropping = await serve(t, (_req, res) => {
    res.writeHead(200, {'Content-Length': A.length});
    res.flushHeaders();
    setTimeout(() => res.destroy(), 20);
  });
  await t.throwsAsync(fetchFiles(fast({baseUrl: dropping.url, dir: join(root, 'x'), retries: 1})), {instanceOf: DownloadError, message: /^a\.bin: download from .* failed after 2 attempts/});
  t.deepEqual(readdirSync(root), ['kept']);
});

test('CLI: an unknown data set exits 2 with a suggestion', async (t) => {
  const r = await cliInProcess(['data', 'fetch', 'fashion-mnst'], tempDir(t), {env: {NORMBENCH_FASHION_MNIST_URL: ''}});
  t.is(r.code, 2);
  t.regex(r.stderr, /Unknown data set "fashion-mnst" — did you mean "fashion-mnist"\? \(known: fashion-mnist\)/);
});

debianTest(`CLI: fetches the official files (rebuilt from Debian's) into --dir, --json; a rerun finds them present${needsDebian}`, async (t) => {
  const official = Object.fromEntries(FASHION_MNIST_DOWNLOADS.map((f) => [`/${f.name}`, officialFromDebian(f.name)]));
  const server = await serve(t, (req, res) => sendFile(req, res, official[req.url ?? '']));
  const cwd = tempDir(t);
  const dir = join(cwd, 'fm');
  // The mirror comes from the environment here, to cover that path too; --force, as Debian's copy is installed.
  const r = await cli(['data', 'fetch', 'fashion-mnist', '--dir', dir, '--json', '--force'], cwd, {NORMBENCH_FASHION_MNIST_URL: server.url});
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /train-images-idx3-ubyte\.gz/, 'progress stays on stderr with --json (stdout is the JSON alone)');
  const json = JSON.parse(r.stdout) as {dir: string; files: {name: string; sha256: string; bytes: number; status: string}[]};
  t.is(json.dir, dir);
  t.deepEqual(json.files, FASHION_MNIST_DOWNLOADS.map((f) => ({name: f.name, sha256: f.sha256, bytes: f.bytes, status: 'downloaded'})));
  t.deepEqual(readdirSync(dir).sort(), FASHION_MNIST_DOWNLOADS.map((f) => f.name).sort());

  const again = await cli(['data', 'fetch', 'fashion-mnist', '--dir', dir, '--base-url', server.url], cwd);
  t.is(again.code, 0, again.stderr);
  t.is(server.requests.length, 4, 'nothing downloaded twice');
  t.regex(again.stdout, /train-images-idx3-ubyte\.gz +26\.4 MB +3aede38d\S+ +present/);
  t.regex(again.stdout, /Fashion-MNIST: 4 files verified in \S+fm \(0 downloaded, 4 already present\)/);
  t.regex(again.stderr, /t10k-labels-idx1-ubyte\.gz: already present, SHA-256 ok \(5\.15 kB\); skipped/);
});

debianTest(`CLI: with Debian's copy installed, data fetch says where it is, downloads nothing and creates nothing${needsDebian}`, async (t) => {
  const server = await serve(t, good);
  const cwd = tempDir(t);
  const r = await cli(['data', 'fetch', 'fashion-mnist', '--base-url', server.url], cwd);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `Fashion-MNIST is already in ${DEBIAN_DIR} (4 files, SHA-256 checked), where normbench finds it: nothing downloaded. ` +
    `To download a copy into ${join(cwd, 'data', 'fashion-mnist')} anyway: --force.\n`);
  t.is(server.requests.length, 0);
  t.deepEqual(readdirSync(cwd), []);
  const json = await cli(['data', 'fetch', 'fashion-mnist', '--base-url', server.url, '--json'], cwd);
  const result = JSON.parse(json.stdout) as {dir: string; found: boolean; files: {name: string; status: string}[]};
  t.is(result.dir, DEBIAN_DIR);
  t.true(result.found);
  t.deepEqual(result.files.map((f) => `${f.name} ${f.status}`), FASHION_MNIST_DOWNLOADS.map((f) => `${f.name} present`));
});

debianTest(`Debian's .gz files in the target count as present: the same content under another gzip header${needsDebian}`, async (t) => {
  const server = await serve(t, good);
  const dir = tempDir(t);
  const labels = FASHION_MNIST_DOWNLOADS.filter((f) => f.name.includes('labels'));
  for (const f of labels) writeFileSync(join(dir, f.name), readFileSync(join(DEBIAN_DIR, f.name)));
  const result = await fetchFiles({baseUrl: server.url, dir, files: labels});
  t.deepEqual(result.files.map((f) => f.status), ['present', 'present']);
  t.deepEqual(result.files.map((f) => f.sha256), labels.map((f) => f.alternatives![0]));
  t.is(server.requests.length, 0);
});
