import {Args} from '@oclif/core';
import {BaseCommand, checkGridClaims, sharedFlags} from '../cli.js';
import {findExperiment} from '../config/find.js';
import {loadExperiment} from '../config/load.js';
import {RUN_COLUMNS} from '../results/columns.js';
import type {ExperimentConfig} from '../spec/experiment.js';

/** `lr 0.1`, or `lr [0.1, 0.5] (grid)` when the grid varies it. */
function setting(config: ExperimentConfig, key: string, label: string, value: unknown): string {
  const text = (v: unknown) => JSON.stringify(v).replace(/,/g, ', ').replace(/"/g, '');
  const values = config.grid[key];
  return values ? `${label} ${text(values)} (grid)` : `${label} ${text(value)}`;
}

export default class Validate extends BaseCommand {
  static override summary = 'Parse, check and expand an experiment; print its grid. Trains nothing.';
  static override description = 'Exit code 0 when the experiment is valid, 2 with every error found, located, when it is not.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> validate quickstart',
    '<%= config.bin %> validate my.yaml --set grid.seed=[1,2,3]',
  ];
  static override args = {
    experiment: Args.string({description: 'Experiment YAML file, or the name of a bundled experiment.', required: true}),
  };
  static override flags = {...sharedFlags};

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Validate);
    const found = findExperiment(args.experiment);
    if (found.note) this.tell(`note: ${found.note}`);
    const loaded = loadExperiment(found.file, {set: flags.set});
    checkGridClaims(loaded);
    const {config, runs, factorKeys} = loaded.expanded;
    const header = ['#', ...RUN_COLUMNS, ...factorKeys];
    const rows = runs.map((r) => [String(r.index), r.run_id, r.norm_label, r.activation, String(r.seed), ...factorKeys.map((k) => r.factors[k]!)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    const {dataset, model, train} = config;
    this.log(`${config.name}: ${config.question}`);
    const whole = (section: 'dataset' | 'model', text: string) => (config.grid[section] ? `${section} (grid: ${config.grid[section]!.length})` : text);
    this.log([
      whole('dataset', `dataset ${dataset.name}`),
      whole('model', `model ${model.kind} ${setting(config, 'model.hidden', 'hidden', model.hidden)}`),
      `${setting(config, 'train.optimizer', 'optimizer', train.optimizer)} ${setting(config, 'train.lr', 'lr', train.lr)}`,
      setting(config, 'train.batch_size', 'batch', train.batch_size),
      setting(config, 'train.steps', 'steps', train.steps),
    ].join(' · '));
    this.log(`grid: ${Object.entries(config.grid).map(([k, v]) => `${k} (${v.length})`).join(' × ') || '(single run)'} = ${runs.length} runs\n`);
    this.log([line(header), ...rows.map(line)].join('\n'));
    return {experiment: config.name, file: found.file, runs: runs.length, config, grid: runs.map(({dataset: _d, model: _m, train: _t, factors: _f, factor_values, ...r}) => ({...r, factors: factor_values}))};
  }
}
