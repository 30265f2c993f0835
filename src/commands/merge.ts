import {readdirSync, statSync} from 'node:fs';
import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../cli.js';
import {UserError} from '../errors.js';
import {expandResolved} from '../config/expand.js';
import {planMerge, writeMerge} from '../results/merge.js';
import {readResults} from '../results/read.js';
import {summaryTable, tuningTable} from '../results/table.js';
import {factorKeysOf} from '../results/columns.js';
import {TUNING_CSV, TUNING_DIR, tuningOutcome} from '../results/tuning.js';
import {tuneSpec} from '../spec/tune.js';
import {join} from 'node:path';
import {prepareOutDir} from '../results/outdir.js';

export default class Merge extends BaseCommand {
  static override summary = 'Join results directories into one: the shards of one grid (run --shard I/N), or compatible experiments.';
  static override description =
    'Shards: the merged directory is what an unsharded run writes, the same rows in grid order (timing columns aside), ' +
    'so report and verify take it as they take any results. Directories of different experiments join when their runs can ' +
    'share tables (same probes, data and results format, nothing tuned, each complete): the result is one experiment whose grid ' +
    'is the blocks of theirs, each pinned to the settings its directory trained with. Refused (exit 2, naming them): ' +
    'incompatible directories, a run found twice, runs found in no directory. --out must be new or empty unless --force.';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> merge results/quickstart-shard-1-of-2 results/quickstart-shard-2-of-2 --out results/quickstart',
    '<%= config.bin %> merge shards/* --out results/study',
  ];
  static override args = {
    dirs: Args.string({description: 'Shard results directories (two or more).', required: true}),
  };
  static override flags = {
    out: Flags.string({char: 'o', summary: 'Directory for the merged results.', required: true}),
    force: Flags.boolean({summary: 'Write into --out even if it is not empty (its normbench files are replaced).'}),
  };

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Merge);
    const dirs = argv as string[];
    // Everything is checked before anything is written.
    const merged = planMerge(dirs, [process.execPath, ...process.argv.slice(1)], expandResolved);
    const existing = statSync(flags.out, {throwIfNoEntry: false})?.isDirectory() ? readdirSync(flags.out).filter((n) => !n.startsWith('.')) : [];
    if (existing.length > 0 && !flags.force) {
      throw new UserError(`--out ${flags.out} is not empty (${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ', …' : ''}); give a new directory, or --force`, undefined, 'conflict');
    }
    const out = prepareOutDir(flags.out);
    writeMerge(merged, out);
    if (!merged.manifest && merged.tuning && 'plan' in merged.tuning) {
      const tuning = readResults(join(out, TUNING_DIR));
      const tune = tuneSpec(tuning.manifest.config.tune!);
      const outcome = tuningOutcome(tuning, tune, factorKeysOf(tuning.manifest.config));
      this.log(`merged ${merged.shards} tune shards: ${merged.tuning.plan.runs} tuning runs → ${join(out, TUNING_DIR)}, ${join(out, TUNING_CSV)}\n`);
      this.log(tuningTable(outcome, tune));
      this.log(`\nthe final stage reads it: normbench run ${tuning.manifest.experiment_file} --stage final --tuning ${flags.out} [--shard I/N]`);
      return {out, tuningRuns: merged.tuning.plan.runs, shards: merged.shards, chosen: outcome.choices};
    }
    const results = readResults(out);
    this.log(`merged ${merged.shards} directories: ${merged.runs} runs → ${out}\n`);
    this.log(summaryTable(results));
    return {out, runs: merged.runs, shards: merged.shards};
  }
}
