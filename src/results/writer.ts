// The results directory: curves.csv, summary.csv and manifest.json, rewritten atomically each
// time a run finishes, so an interrupted grid leaves every finished run on disk, intact.

import {join} from 'node:path';
import type {ExpandedExperiment} from '../config/expand.js';
import {targetList} from '../train/metrics.js';
import {curveColumns, curveRows, summaryColumns, summaryRow, type RunRecord} from './columns.js';
import {toCsv, writeAtomic} from './files.js';
import {manifestRuns, type Manifest} from './manifest.js';

export class ResultsWriter {
  private readonly records: RunRecord[] = [];
  private readonly factorKeys: string[];
  private readonly targetKeys: string[];

  constructor(
    readonly outDir: string,
    expanded: ExpandedExperiment,
    private readonly manifest: Manifest,
  ) {
    this.factorKeys = expanded.factorKeys;
    this.targetKeys = targetList(expanded.config.targets).map((t) => t.key);
  }

  get paths(): {curves: string; summary: string; manifest: string} {
    return {
      curves: join(this.outDir, 'curves.csv'),
      summary: join(this.outDir, 'summary.csv'),
      manifest: join(this.outDir, 'manifest.json'),
    };
  }

  /** Write the (empty) files and the manifest as the grid starts. */
  start(): void {
    this.flush();
  }

  add(record: RunRecord): void {
    this.records.push(record);
    this.flush();
  }

  finish(): void {
    this.manifest.state = 'complete';
    this.manifest.finished = new Date().toISOString();
    this.flush();
  }

  private flush(): void {
    const ordered = [...this.records].sort((a, b) => a.spec.index - b.spec.index);
    const {curves, summary, manifest} = this.paths;
    writeAtomic(curves, toCsv(curveColumns(this.factorKeys), ordered.flatMap((r) => curveRows(r, this.factorKeys))));
    writeAtomic(
      summary,
      toCsv(summaryColumns(this.factorKeys, this.targetKeys), ordered.map((r) => summaryRow(r, this.factorKeys, this.targetKeys))),
    );
    this.manifest.runs = manifestRuns(ordered);
    writeAtomic(manifest, `${JSON.stringify(this.manifest, null, 2)}\n`);
  }
}
