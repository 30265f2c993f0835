import {Args, Flags} from '@oclif/core';
import {backendFlag, BaseCommand, checkGridClaims, sharedFlags} from '../cli.js';
import {findExperiment} from '../config/find.js';
import {loadExperiment} from '../config/load.js';
import {summaryJson} from '../results/json.js';
import {summaryTable, tuningTable} from '../results/table.js';
import {progressHooks} from '../run/progress.js';
import {parseShard} from '../run/shard.js';
import type {Stage} from '../run/experiment.js';

export default class Run extends BaseCommand {
  static override summary = 'Train every cell of an experiment’s grid; write curves.csv, summary.csv and manifest.json.';
  static override description =
    'Every cell trains the same network (same initial weights for shared parameters, same batches in the same ' +
    'order) so that only the grid’s factors differ. Each finished run is appended to the results at once.\n\n' +
    'Rerunning into a directory that holds results of the same experiment, normbench build and backend resumes: ' +
    'finished runs are kept, failed and unfinished ones are trained. Results of anything else are never overwritten: ' +
    'the run stops with exit code 2 and says what differs, unless --force.\n\n' +
    'Exit codes: 0 done · 1 some run failed (a diverged run is a result, not a failure) · 2 bad input · ' +
    '130 / 143 interrupted by Ctrl-C / SIGTERM (finished runs are kept).';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> run quickstart',
    '<%= config.bin %> run experiments/quickstart.yaml --set train.steps=200 --out results/short',
    '<%= config.bin %> run my.yaml --backend wasm --json > summary.json',
    '<%= config.bin %> run my.yaml --shard 2/4 --out results/my-2',
    '<%= config.bin %> run quickstart --set grid.seed=[1,2,3] --stack',
  ];
  static override args = {
    experiment: Args.string({description: 'Experiment YAML file, or the name of a bundled experiment (normbench list experiments).', required: true}),
  };
  static override flags = {
    ...sharedFlags,
    out: Flags.string({char: 'o', summary: 'Results directory.', defaultHelp: async () => 'results/<experiment name>'}),
    backend: backendFlag,
    'data-dir': Flags.string({summary: 'Directory holding the full Fashion-MNIST IDX files (searched first; must exist).'}),
    resume: Flags.boolean({summary: 'Resume the results in --out (there must be some): skip finished runs, redo failed ones.'}),
    force: Flags.boolean({summary: 'Replace results of a different run (retrain all); with --resume, resume them despite a different normbench, backend or data.'}),
    prune: Flags.boolean({summary: 'When the grid changed: drop the finished runs it no longer holds (default: keep them in <out>/left-grid/<n>/).'}),
    workers: Flags.integer({summary: 'Worker processes training grid cells side by side (1: in this process).', min: 1, defaultHelp: async () => 'the number of cores'}),
    stack: Flags.boolean({
      summary: 'Train the runs that differ only in seed or learning rate as one stacked model (results identical bit for bit).',
      description: 'Stackable: MLPs with norm none, batch or layer, plain SGD without clipping, classification, on the wasm or cpu backend; ' +
        'other runs train alone, and the first lines of progress say why. On tensorflow stacking is off: its stacked arithmetic is not bitwise.',
    }),
    shard: Flags.string({summary: 'Train only shard I of N of the grid (cells whose index mod N is I−1); join shards with `normbench merge`.', helpValue: 'I/N'}),
    stage: Flags.string({
      summary: 'A tuned experiment’s stage: all (tune, then train the grid), tune (only the tuning), final (only the grid, at the tuned values).',
      description: 'With --shard a tuned experiment runs in two stages: `--stage tune --shard I/N` for each I, `normbench merge` of the tune shards, ' +
        '`--stage final --tuning <merged> --shard I/N` for each I, and `normbench merge` of those.',
      options: ['all', 'tune', 'final'],
    }),
    tuning: Flags.string({summary: 'With --stage final: the directory holding the tuning (tuning.csv, tuning/); default: --out.', helpValue: 'DIR'}),
    quiet: Flags.boolean({char: 'q', summary: 'No progress output (progress goes to stderr; --json keeps it).'}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Run);
    const found = findExperiment(args.experiment);
    if (found.note) this.tell(`note: ${found.note}`);
    const loaded = loadExperiment(found.file, {set: flags.set});
    checkGridClaims(loaded, {narrowed: (flags.set?.length ?? 0) > 0, warn: (text) => this.tell(text)});
    // The trainer (and tfjs) load only now: every other command, and a bad experiment, start without them.
    const {runExperiment} = await import('../run/experiment.js');
    const progress = progressHooks({quiet: flags.quiet});
    this.cleanup = () => progress.stop();
    const result = await runExperiment(loaded, {
      out: flags.out,
      backend: flags.backend,
      dataDir: flags['data-dir'],
      shard: flags.shard === undefined ? undefined : parseShard(flags.shard),
      force: flags.force,
      resume: flags.resume,
      prune: flags.prune,
      workers: flags.workers,
      stack: flags.stack,
      stage: flags.stage as Stage | undefined,
      tuning: flags.tuning,
      hooks: progress,
    });
    progress.stop();
    const {manifest} = result.results;
    const trained = result.records.length;
    const kept = result.held - trained;
    if (result.mode === 'resume') {
      this.tell(trained === 0
        ? `all ${result.held} runs were already in ${result.outDir} (same experiment, normbench and backend): nothing to train. --force retrains them.`
        : `resumed: kept ${kept} finished run${kept === 1 ? '' : 's'}, trained ${trained}.`);
    }
    this.log(`\n${manifest.experiment}: ${manifest.question}\n`);
    if (result.tuning) {
      this.log(tuningTable(result.tuning.outcome, result.tuning.spec));
      for (const warning of result.tuning.warnings) this.log(`! ${warning}`);
      this.log('');
    }
    if (result.stage !== 'tune') this.log(summaryTable(result.results));
    else this.log(`tuning only (--stage tune): the grid trains with --stage final${flags.shard ? ', once the tune shards are merged' : ''}.`);
    this.log(`\nbackend ${result.backend} · results in ${result.outDir}`);
    const failedTuning = result.tuning?.outcome.rows.filter((r) => r.status === 'failed').length ?? 0;
    if (failedTuning > 0) this.tell(`${failedTuning} tuning run${failedTuning === 1 ? '' : 's'} failed (scored as the worst value; see tuning.csv): --resume trains ${failedTuning === 1 ? 'it' : 'them'} again and decides again.`);
    if (manifest.runs.some((r) => r.status === 'failed') || failedTuning > 0) process.exitCode = 1;
    return {...(summaryJson(result.results) as object), ...(result.tuning && {tuning: {key: result.tuning.spec.key, metric: result.tuning.spec.metric, chosen: result.tuning.outcome.choices, warnings: result.tuning.warnings}})};
  }
}
