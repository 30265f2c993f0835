import {Args, Flags} from '@oclif/core';
import {backendFlag, BaseCommand, sharedFlags} from '../cli.js';
import {loadExperiment} from '../config/load.js';
import {summaryJson} from '../results/json.js';
import {summaryTable} from '../results/table.js';
import {runExperiment} from '../run/experiment.js';
import {progressHooks} from '../run/progress.js';

export default class Run extends BaseCommand {
  static override summary = 'Train every cell of an experiment’s grid; write curves.csv, summary.csv and manifest.json.';
  static override description =
    'Every cell trains the same network (same initial weights for shared parameters, same batches in the same ' +
    'order) so that only the grid’s factors differ. Results are written as each run finishes. Exit code 1 when a ' +
    'run failed; a diverged run is a result, not a failure.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> run experiments/quickstart.yaml',
    '<%= config.bin %> run experiments/quickstart.yaml --set train.steps=200 --out results/short',
    '<%= config.bin %> run my.yaml --backend wasm --quiet --json > summary.json',
  ];
  static override args = {
    experiment: Args.string({description: 'Experiment YAML file.', required: true}),
  };
  static override flags = {
    ...sharedFlags,
    out: Flags.string({char: 'o', summary: 'Results directory.', defaultHelp: async () => 'results/<experiment name>'}),
    backend: backendFlag,
    'data-dir': Flags.string({summary: 'Directory holding the full Fashion-MNIST IDX files (searched first).'}),
    quiet: Flags.boolean({char: 'q', summary: 'No progress output.'}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Run);
    const loaded = loadExperiment(args.experiment, {set: flags.set});
    const result = await runExperiment(loaded, {
      out: flags.out,
      backend: flags.backend,
      dataDir: flags['data-dir'],
      hooks: progressHooks({quiet: flags.quiet || this.jsonEnabled()}),
    });
    const {config, factorKeys} = result.expanded;
    this.log(`\n${config.name}: ${config.question}\n`);
    this.log(summaryTable(result.records, factorKeys, config.targets));
    this.log(`\nbackend ${result.backend} · results in ${result.outDir}`);
    if (result.records.some((r) => r.status === 'failed')) process.exitCode = 1;
    return summaryJson(result);
  }
}
