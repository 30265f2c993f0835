#!/usr/bin/env node
// Load time and peak memory of your own data from a large CSV (README, "Your own data"). Writes
// a CSV of ROWS × COLS pixel-like integers 0 … 255 (about half of them 0, as in Fashion-MNIST;
// seeded, no Math.random) plus a label column, unless it is there already, then loads it as the
// training and the test split of a `files` data set in a fresh process — the CSV reader and
// each file's SHA-256, as a run does (the test split: its first example) — and prints the time
// and the process's peak RSS. Build first.
//
//   node scripts/csv-load.mjs [--rows 60000] [--cols 784] [--file /tmp/normbench-60000x784.csv]

import {execFileSync} from 'node:child_process';
import {closeSync, existsSync, openSync, statSync, writeSync} from 'node:fs';
import {basename, dirname, resolve} from 'node:path';
import {parseArgs} from 'node:util';

const {values} = parseArgs({options: {rows: {type: 'string', default: '60000'}, cols: {type: 'string', default: '784'}, file: {type: 'string'}, load: {type: 'boolean', default: false}}});
const rows = Number(values.rows);
const cols = Number(values.cols);
const file = resolve(values.file ?? `/tmp/normbench-${rows}x${cols}.csv`);
// The test split: the header and the first example, so that the time is the training file's.
const test = file.replace(/\.csv$/, '') + '-test.csv';

if (values.load) {
  // The child: load, then report (peak RSS is this process's own).
  const {loadFiles} = await import(resolve(import.meta.dirname, '../dist/src/data/files.js'));
  const t0 = performance.now();
  const data = loadFiles({name: 'files', format: 'csv', train: basename(file), test: basename(test), label: 'label', root: dirname(file)});
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({examples: data.train.n, features: data.features, file_mb: +(statSync(file).size / 1e6).toFixed(1), load_s: +seconds.toFixed(2), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)}));
  process.exit(0);
}

if (!existsSync(file)) {
  // mulberry32: a small seeded generator, so that the file is the same every time.
  let state = 1;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let z = Math.imul(state ^ (state >>> 15), 1 | state);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const fd = openSync(file, 'w');
  writeSync(fd, `${[...Array.from({length: cols}, (_, j) => `p${j}`), 'label'].join(',')}\n`);
  let lines = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({length: cols}, () => (random() < 0.5 ? 0 : Math.floor(random() * 256)));
    lines.push(`${row.join(',')},${i % 10}`);
    if (lines.length === 1000 || i === rows - 1) {
      writeSync(fd, `${lines.join('\n')}\n`);
      lines = [];
    }
  }
  closeSync(fd);
}
if (!existsSync(test)) execFileSync('sh', ['-c', `head -n 2 '${file}' > '${test}'`]);
console.log(execFileSync(process.execPath, [import.meta.filename, '--load', '--file', file], {encoding: 'utf8'}).trim());
