// merge: join the directories of the shards of one grid into the directory an unsharded run
// would have written (rows in grid order; timing columns aside, the same bytes). It reads
// results files only, and refuses — naming them — shards of different experiments, runs that
// appear twice, and runs that no shard holds.

import {rmSync} from 'node:fs';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {toCsv, writeAtomic} from './files.js';
import type {ExperimentConfig} from '../spec/experiment.js';
import type {Manifest} from './manifest.js';
import {CSV_FILES, readResults, RESULT_FILES, type CsvName, type Results} from './read.js';

/** Readable labels of a grid's cells by run id (`#3 batch · relu · seed 1`), from its resolved config. */
export type GridLabels = (config: ExperimentConfig) => Map<string, string>;

/** The merged results, checked and ready to write. */
export interface MergePlan {
  /** Each CSV's merged text, by table (gradient_flow when the shards have it). */
  files: Partial<Record<CsvName, string>>;
  manifest: Manifest;
  runs: number;
  shards: number;
}

/** Read and check the shard directories, and join them; nothing is written. */
export function planMerge(dirs: string[], command: string[], gridLabels: GridLabels): MergePlan {
  if (dirs.length === 0) throw new UserError('merge needs at least one results directory', undefined, 'usage');
  const parts: Results[] = dirs.map((d) => readResults(d));
  const first = parts[0]!.manifest;

  // 1. One experiment.
  const hashes = new Set(parts.map((p) => p.manifest.config_hash));
  if (hashes.size > 1) {
    throw new UserError(`the directories hold different experiments:\n${parts.map((p) => `  - ${p.dir}: ${p.manifest.experiment}, config ${p.manifest.config_hash}`).join('\n')}`, undefined, 'results');
  }
  const sameColumns = parts.every((p) => p.curves.columns.join() === parts[0]!.curves.columns.join() && p.summary.columns.join() === parts[0]!.summary.columns.join());
  if (!sameColumns) throw new UserError('the directories have different columns (made by different normbench versions?)', undefined, 'results');

  // 2. Every run exactly once.
  const labels = gridLabels(first.config);
  const owner = new Map<string, string>();
  const twice: string[] = [];
  for (const p of parts) {
    for (const run of p.manifest.runs) {
      const seen = owner.get(run.run_id);
      if (seen) twice.push(`  - ${run.run_id} (${labels.get(run.run_id) ?? '?'}) in ${seen} and ${p.dir}`);
      else owner.set(run.run_id, p.dir);
    }
  }
  if (twice.length) throw new UserError(`runs appear in more than one directory:\n${twice.join('\n')}`, undefined, 'results');
  const missing = first.grid.run_ids.filter((id) => !owner.has(id));
  if (missing.length) {
    throw new UserError(
      `${missing.length} of the grid's ${first.grid.size} runs are in none of the directories (a shard missing, or not finished):\n` +
        missing.map((id) => `  - ${id} (${labels.get(id) ?? '?'})`).join('\n'),
      undefined,
      'results',
    );
  }

  // 3. Rows in grid order, then the manifest of the whole.
  const index = new Map(first.grid.run_ids.map((id, i) => [id, i]));
  const byGrid = (rows: string[][]) => rows.map((r, i) => ({r, i})).sort((a, b) => index.get(a.r[0]!)! - index.get(b.r[0]!)! || a.i - b.i).map((x) => x.r);
  const files: Partial<Record<CsvName, string>> = {};
  for (const name of CSV_FILES) {
    const tables = parts.map((p) => p[name]);
    if (tables.every((t) => t === undefined)) continue;
    if (tables.some((t) => t === undefined)) throw new UserError(`some directories have ${RESULT_FILES[name]} and some do not`, undefined, 'results');
    files[name] = toCsv(tables[0]!.columns, byGrid(tables.flatMap((t) => t!.rows)));
  }
  // Sessions are renumbered in order of the parts; each run keeps pointing at its own.
  const sessions: Manifest['sessions'] = [];
  const runs: Manifest['runs'] = [];
  for (const p of parts) {
    const offset = sessions.length;
    sessions.push(...p.manifest.sessions);
    runs.push(...p.manifest.runs.map((r) => ({...r, session: r.session + offset})));
  }
  runs.sort((a, b) => a.index - b.index);
  const manifest: Manifest & {merged_from: unknown[]} = {
    ...first,
    shard: null,
    runs_total: first.grid.size,
    command,
    cwd: process.cwd(),
    data: Object.assign({}, ...parts.map((p) => p.manifest.data)) as Record<string, string>,
    started: parts.map((p) => p.manifest.started).sort()[0]!,
    finished: parts.map((p) => p.manifest.finished ?? '').sort().at(-1) || null,
    state: 'complete',
    files: Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.byteLength(text)])) as Manifest['files'],
    sessions,
    runs,
    merged_from: parts.map((p) => ({dir: p.dir, shard: p.manifest.shard, state: p.manifest.state, runs: p.manifest.runs.length, host: p.manifest.host})),
  };
  return {files, manifest, runs: runs.length, shards: parts.length};
}

/** Write a merge into `out` (an existing directory): the CSVs, then the manifest that commits them. */
export function writeMerge(plan: MergePlan, out: string): void {
  for (const name of [...CSV_FILES, 'manifest'] as const) rmSync(join(out, RESULT_FILES[name]), {force: true});
  for (const [name, text] of Object.entries(plan.files)) writeAtomic(join(out, RESULT_FILES[name as CsvName]), text);
  writeAtomic(join(out, RESULT_FILES.manifest), `${JSON.stringify(plan.manifest, null, 2)}\n`);
}
