import {Args, Flags} from '@oclif/core';
import {BaseCommand, checkGridClaims, sharedFlags} from '../cli.js';
import {findExperiment} from '../config/find.js';
import {loadExperiment} from '../config/load.js';
import {checkData} from '../data/check.js';
import {dataKey, loadDataset} from '../data/registry.js';
import {throwIfAny} from '../errors.js';
import {RUN_COLUMNS} from '../results/columns.js';
import type {ExperimentConfig, RunSpec} from '../spec/experiment.js';
import {gridBlocks, gridValues, gridVaries} from '../spec/grid.js';
import {rungSizes, rungSteps, scheduleCost, tuneSpec} from '../spec/tune.js';

/** `lr 0.1`, or `lr [0.1, 0.5] (grid)` when the grid varies it. */
function setting(config: ExperimentConfig, key: string, label: string, value: unknown): string {
  const text = (v: unknown) => JSON.stringify(v).replace(/,/g, ', ').replace(/"/g, '');
  return gridVaries(config.grid, key) ? `${label} ${text(gridValues(config.grid, key))} (grid)` : `${label} ${text(value)}`;
}

/** What tuning will train before the grid: the values, the rungs, the cost against the full sweep. */
function tuningPlan(config: ExperimentConfig, runs: RunSpec[]) {
  const tune = tuneSpec(config.tune!);
  const conditions = new Set(runs.map((r) => JSON.stringify([r.norm_label, r.activation, r.factors]))).size;
  const sizes = rungSizes(tune);
  const steps = sizes.map((_, r) => rungSteps(tune, r, config.train.steps));
  const cost = scheduleCost(tune, config.train.steps);
  const tuningRuns = sizes.reduce((n, size) => n + size, 0) * tune.seeds.length * conditions;
  const rungs = sizes.map((n, r) => `rung ${r + 1}: ${n} values × ${steps[r]} steps`).join(', ') +
    (gridVaries(config.grid, 'train.steps') ? ` (for train.steps ${config.train.steps}; each condition's rungs are the same fractions of its own train.steps)` : '');
  const text = [
    `tune: ${tune.key} over ${tune.values.length} values (${tune.values.join(', ')}) by ${tune.metric}, ` +
      `${tune.shared ? 'one value shared by all conditions' : `for each of the ${conditions} conditions`} · tuning seeds ${tune.seeds.join(', ')}`,
    `  ${tune.schedule === 'halving' ? `successive halving (η = ${tune.eta}): ${rungs}` : `full sweep: every value × ${config.train.steps} steps`}` +
      ` · ${cost.steps} steps per condition and seed${tune.schedule === 'halving' ? ` against ${cost.full} for the full sweep` : ''}`,
    `  ${tuningRuns} tuning runs; then the grid's ${runs.length} runs, each at its condition's chosen ${tune.key} (their run ids, below at ${tune.key} ${(config.train as unknown as Record<string, unknown>)[tune.key.slice(6)] ?? 'unset'}, follow the value)`,
  ].join('\n');
  return {text, json: {key: tune.key, values: tune.values, metric: tune.metric, seeds: tune.seeds, schedule: tune.schedule, eta: tune.eta, shared: tune.shared, rung_values: sizes, rung_steps: steps, tuning_runs: tuningRuns, steps_per_condition_and_seed: cost.steps, full_sweep_steps: cost.full}};
}

export default class Validate extends BaseCommand {
  static override summary = 'Parse, check and expand an experiment; print its grid. Trains nothing.';
  static override description =
    'Exit code 0 when the experiment is valid, 2 with every error found, located, when it is not. The data are checked too, ' +
    'as `run` checks them before it writes anything: each data set is found and has its official SHA-256s, and the validation ' +
    'hold-out, train_limit, test_limit and batch_size fit its splits.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> validate quickstart',
    '<%= config.bin %> validate my.yaml --set grid.seed=[1,2,3]',
  ];
  static override args = {
    experiment: Args.string({description: 'Experiment YAML file, or the name of a bundled experiment.', required: true}),
  };
  static override flags = {
    ...sharedFlags,
    'data-dir': Flags.string({summary: 'Directory holding the full Fashion-MNIST IDX files, as for `run` (searched first; must exist).'}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Validate);
    const found = findExperiment(args.experiment);
    if (found.note) this.tell(`note: ${found.note}`);
    const loaded = loadExperiment(found.file, {set: flags.set});
    checkGridClaims(loaded, {narrowed: (flags.set?.length ?? 0) > 0, warn: (text) => this.tell(text)});
    throwIfAny(checkData(loaded.expanded, {dataDir: flags['data-dir'], locate: (path) => loaded.sources.locate(path)}), loaded.sources.layers.map((l) => l.file));
    const {config, runs, factorKeys} = loaded.expanded;
    const header = ['#', ...RUN_COLUMNS, ...factorKeys];
    const rows = runs.map((r) => [String(r.index), r.run_id, r.norm_label, r.activation, String(r.seed), ...factorKeys.map((k) => r.factors[k]!)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    const {dataset, model, train} = config;
    this.log(`${config.name}: ${config.question}`);
    const whole = (section: 'dataset' | 'model', text: string) => (gridVaries(config.grid, section) ? `${section} (grid: ${gridValues(config.grid, section).length})` : text);
    this.log([
      whole('dataset', dataset.name === 'files' ? `dataset ${dataKey(dataset).replace(/^files: /, `files (${dataset.format}): `)}` : `dataset ${dataset.name}`),
      whole('model', `model ${model.kind} ${setting(config, 'model.hidden', 'hidden', model.hidden)}${
        model.kind === 'mlp' && (model.dropout || gridVaries(config.grid, 'model.dropout')) ? ` ${setting(config, 'model.dropout', 'dropout', model.dropout ?? 0)}` : ''}`),
      `${setting(config, 'train.optimizer', 'optimizer', train.optimizer)} ${setting(config, 'train.lr', 'lr', train.lr)}`,
      setting(config, 'train.batch_size', 'batch', train.batch_size),
      setting(config, 'train.steps', 'steps', train.steps),
      ...(config.eval_train ? ['eval_train: the final weights on the training split too (the generalization gap)'] : []),
    ].join(' · '));
    // Your own data were read by the check: what they hold (examples, features, classes).
    const own = new Map(runs.filter((r) => r.dataset.name === 'files').map((r) => [dataKey(r.dataset), r.dataset]));
    for (const spec of own.values()) {
      const {train_limit: _t, test_limit: _e, validation: _v, standardize: _s, ...raw} = spec;
      this.log(`data: ${loadDataset(raw).source}`);
    }
    const product = (block: Record<string, unknown[]>) => Object.entries(block).map(([k, v]) => `${k} (${v.length})`).join(' × ') || '(single run)';
    const blocks = gridBlocks(config.grid);
    this.log(`grid: ${blocks.length === 1 ? product(blocks[0]!) : blocks.map((b) => `[${product(b)}]`).join(' + ')} = ${runs.length} runs`);
    const plan = config.tune ? tuningPlan(config, runs) : undefined;
    if (plan) this.log(plan.text);
    this.log('');
    this.log([line(header), ...rows.map(line)].join('\n'));
    return {experiment: config.name, file: found.file, runs: runs.length, config, ...(plan && {tuning: plan.json}), grid: runs.map(({dataset: _d, model: _m, train: _t, factors: _f, factor_values, ...r}) => ({...r, factors: factor_values}))};
  }
}
