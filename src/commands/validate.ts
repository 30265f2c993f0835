import {Args} from '@oclif/core';
import {BaseCommand, sharedFlags} from '../cli.js';
import {expandExperiment} from '../config/expand.js';
import {loadExperiment} from '../config/load.js';

export default class Validate extends BaseCommand {
  static override summary = 'Parse, check and expand an experiment; print its grid. Trains nothing.';
  static override description = 'Exit code 0 when the experiment is valid, 2 with located errors when it is not.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> validate experiments/quickstart.yaml',
    '<%= config.bin %> validate my.yaml --set grid.seed=[1,2,3]',
  ];
  static override args = {
    experiment: Args.string({description: 'Experiment YAML file.', required: true}),
  };
  static override flags = {...sharedFlags};

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Validate);
    const loaded = loadExperiment(args.experiment, {set: flags.set});
    const {config, runs, factorKeys} = expandExperiment(loaded);
    const header = ['#', 'run_id', 'norm', 'activation', 'seed', ...factorKeys];
    const rows = runs.map((r) => [String(r.index), r.run_id, r.norm_label, r.activation, String(r.seed), ...factorKeys.map((k) => r.factors[k]!)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    this.log(`${config.name}: ${config.question}`);
    this.log(`dataset ${config.dataset.name} · model ${config.model.kind} [${config.model.hidden.join(', ')}] · ` +
      `${config.train.optimizer} lr ${config.train.lr} · batch ${config.train.batch_size} · ${config.train.steps} steps`);
    this.log(`grid: ${Object.entries(config.grid).map(([k, v]) => `${k} (${v.length})`).join(' × ') || '(single run)'} = ${runs.length} runs\n`);
    this.log([line(header), ...rows.map(line)].join('\n'));
    return {experiment: config.name, runs: runs.length, config, grid: runs.map(({dataset: _d, model: _m, train: _t, ...r}) => r)};
  }
}
