// Grid expansion: the cartesian product of the grid's lists (of each block's, joined, when the
// grid is a list of blocks), each cell a RunSpec whose id is a hash of its canonical form (same
// cell → same id, whatever the file, the order of keys or the way the grid is written).

import {dirname, resolve} from 'node:path';
import {throwIfAny, UserError, type SourceLocation} from '../errors.js';
import {normLabel, normMisfit} from '../norms/catalog.js';
import type {DatasetSpec, ExpandedExperiment, ExperimentConfig, NormSpec, RunSpec} from '../spec/experiment.js';
import {hashOf} from '../util/canonical.js';
import {tunedKeys} from '../spec/tune.js';
import {cellLabel} from '../spec/cells.js';
import {gridBlocks, gridKeys, gridVaries} from '../spec/grid.js';
import {resolveNormEntry, WHOLE_SECTIONS} from './grid.js';
import {ACTIVATION_PROBES, DIRECT_GRID_KEYS, MLP_LATER_DEFAULTS, RECURRENT_MODELS, SEQUENCE_DATASETS} from '../spec/names.js';
import {describeIssue, isPlainObject} from './issues.js';
import {experimentSchema} from './schema.js';
import {ConfigSources, type KeyPath} from './sources.js';
import {cnnShapes} from '../models/catalog.js';
import {IMAGE_SHAPES, imageShapeOf} from '../spec/datasets.js';

/** A checked config and where each of its values came from: what expansion needs. */
export interface CheckedConfig {
  config: ExperimentConfig;
  sources: ConfigSources;
}

/** The run id: what is trained, not how the experiment file names or orders it. */
export function runId(spec: Omit<RunSpec, 'run_id' | 'index' | 'norm_label' | 'factors' | 'factor_values' | 'probes' | 'eval_modes' | 'eval_train'>): string {
  // Your own data's files are named as the experiment writes them: where the experiment sits
  // (`root`) is not what is trained (their bytes are checked by the manifest's data_files).
  const {root: _root, ...dataset} = spec.dataset as DatasetSpec & {root?: string};
  return hashOf({
    v: 1,
    dataset,
    model: spec.model,
    train: spec.train,
    norm: spec.norm,
    activation: spec.activation,
    seed: spec.seed,
  });
}

/** The value a parsed config drops because it is at its default: `model.dropout` → 0 (for a factor column). */
function laterDefault(cfg: ExperimentConfig, key: string): unknown {
  const [section, field] = key.split('.');
  return section === 'model' && cfg.model.kind === 'mlp' ? (MLP_LATER_DEFAULTS as Record<string, unknown>)[field!] : undefined;
}

/**
 * A grid value as written in CSV. A whole data set or model reads as its name and the options
 * given, `fashion-mnist-mini-permuted(size=7)`; other lists and maps as JSON.
 */
function factorText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isPlainObject(value) && (typeof value.name === 'string' || typeof value.kind === 'string')) {
    const head = String(value.name ?? value.kind);
    const rest = Object.entries(value).filter(([k]) => k !== 'name' && k !== 'kind').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    return rest.length ? `${head}(${rest.join(',')})` : head;
  }
  if (Array.isArray(value) || isPlainObject(value)) return JSON.stringify(value);
  return String(value);
}


function cartesian(lists: unknown[][]): number[][] {
  let cells: number[][] = [[]];
  for (const list of lists) cells = cells.flatMap((cell) => list.map((_, i) => [...cell, i]));
  return cells;
}

/** Where a grid value was written: `grid.<key>[i]`, or `grid[b].<key>[i]` in a block. */
function valuePath(config: ExperimentConfig, block: number, key: string, choice: number): KeyPath {
  return Array.isArray(config.grid) ? ['grid', block, key, choice] : ['grid', key, choice];
}

/** The value at a dotted key of a cell's config (a whole section for `dataset`, `model`). */
function valueAt(cfg: Record<string, unknown>, key: string): unknown {
  let at: unknown = cfg;
  for (const seg of key.split('.')) at = isPlainObject(at) ? at[seg] : undefined;
  return at;
}

/** The config of one cell (its block's values put in place) and where its norm entry came from. */
function applyCell(config: ExperimentConfig, block: number, keys: string[], cell: number[]) {
  const values = gridBlocks(config.grid)[block]!;
  const base = structuredClone({...config, grid: {}}) as Record<string, unknown>;
  let normEntry: unknown = config.norm;
  let normPath: KeyPath = ['norm'];
  cell.forEach((choice, k) => {
    const key = keys[k]!;
    const value = values[key]![choice];
    if (key === 'norm') {
      normEntry = value;
      normPath = valuePath(config, block, key, choice);
      return;
    }
    if ((WHOLE_SECTIONS as readonly string[]).includes(key)) {
      base[key] = structuredClone(value);
      return;
    }
    const path = key.split('.');
    let target = base;
    for (const seg of path.slice(0, -1)) target = target[seg] as Record<string, unknown>;
    target[path[path.length - 1]!] = structuredClone(value);
  });
  return {base, normEntry, normPath};
}

/**
 * What does not fit together in one cell, located: a norm not built for the model, a recurrent
 * model on data that is not a sequence, accuracy targets on a regression task, a probe the
 * model cannot give, what logistic regression (an MLP without hidden layers) has no place for.
 */
function cellMisfits(
  cfg: ExperimentConfig,
  norm: NormSpec,
  normPath: KeyPath,
  at: (key: string, path: KeyPath) => SourceLocation,
  sources: ConfigSources,
): UserError[] {
  const errors: UserError[] = [];
  const kind = cfg.model.kind;
  const recurrent = RECURRENT_MODELS.includes(kind);
  const normProblem = normMisfit(norm, kind);
  if (normProblem) errors.push(new UserError(normProblem, sources.locate(normPath)));
  const sequence = SEQUENCE_DATASETS.includes(cfg.dataset.name);
  if (recurrent && !sequence) {
    errors.push(new UserError(
      `model ${kind} reads its input as a sequence, and data set "${cfg.dataset.name}" is not one (sequence data sets: ${SEQUENCE_DATASETS.join(', ')})`,
      at('model.kind', ['model', 'kind']),
    ));
  }
  if (!recurrent && cfg.dataset.name === 'adding' && cfg.dataset.eval_length !== undefined && cfg.dataset.eval_length !== cfg.dataset.length) {
    errors.push(new UserError('an MLP reads examples of one fixed width: eval_length must equal length (a recurrent model can be evaluated on longer sequences)',
      at('dataset.eval_length', ['dataset', 'eval_length'])));
  }
  if (cfg.dataset.name === 'adding') {
    for (const metric of ['test_accuracy', 'train_accuracy', 'val_accuracy'] as const) {
      if (cfg.targets[metric]?.length) {
        errors.push(new UserError(`the adding problem is a regression task (MSE): it has no ${metric}; use a loss target (test_loss, train_loss)`,
          sources.locate(['targets', metric])));
      }
    }
  }
  if (cfg.dataset.validation === undefined) {
    for (const metric of ['val_accuracy', 'val_loss'] as const) {
      if (cfg.targets[metric]?.length) {
        errors.push(new UserError(`a ${metric} target needs a validation split: set dataset.validation (a count, or a fraction such as 0.1)`, sources.locate(['targets', metric])));
      }
    }
  }
  if (kind === 'lstm' && cfg.activation !== undefined && cfg.activation !== 'tanh') {
    errors.push(new UserError(`an LSTM's nonlinearities are fixed (σ for the gates, tanh for the cell): activation ${cfg.activation} does not apply; leave it out, or use model rnn`,
      at('activation', ['activation'])));
  }
  const inputs = (cfg.probes ?? []).filter((p) => ACTIVATION_PROBES.includes(p));
  if (recurrent && inputs.length) {
    errors.push(new UserError(`${inputs.join(', ')} read the inputs to an MLP's hidden nonlinearities; model ${kind} has none (its probes: gradient_flow, grad_norms, param_norms)`, sources.locate(['probes'])));
  }
  if (recurrent && cfg.eval_modes) {
    errors.push(new UserError(`eval_modes evaluates an MLP's batch-statistics norms with other statistics; model ${kind} is recurrent (its batch norm keeps statistics per time step): leave eval_modes out`, sources.locate(['eval_modes'])));
  }
  if (kind === 'mlp') errors.push(...logisticMisfits(cfg, norm, normPath, at, sources));
  if (kind === 'cnn') errors.push(...cnnMisfits(cfg, norm, normPath, at, sources));
  if (!recurrent && cfg.probes?.includes('gradient_flow')) {
    errors.push(new UserError(`the gradient_flow probe measures ‖∂L/∂h_t‖ of a recurrent model (lstm, rnn); model ${kind} has no h_t`, sources.locate(['probes'])));
  }
  return errors;
}

/**
 * An MLP without hidden layers (`hidden: []`) is logistic regression, the dense output layer
 * alone: there is no layer for a norm to sit on, no unit to drop, no nonlinearity for an
 * activation or the activation probes. Each is an error rather than a setting that changes nothing.
 */
function logisticMisfits(
  cfg: ExperimentConfig,
  norm: NormSpec,
  normPath: KeyPath,
  at: (key: string, path: KeyPath) => SourceLocation,
  sources: ConfigSources,
): UserError[] {
  if (cfg.model.kind !== 'mlp' || cfg.model.hidden.length > 0) return [];
  const what = 'model.hidden [] is logistic regression (the dense output layer alone)';
  const errors: UserError[] = [];
  if (norm.name !== 'none') {
    errors.push(new UserError(`${what}: there is no hidden layer for norm ${normLabel(norm)} to sit on; use norm none`, sources.locate(normPath)));
  }
  if ((cfg.model.dropout ?? 0) > 0) {
    errors.push(new UserError(`${what}: it has no hidden units to drop; leave dropout out (or 0)`, at('model.dropout', ['model', 'dropout'])));
  }
  if (cfg.activation !== undefined && cfg.activation !== 'relu') {
    errors.push(new UserError(`${what}: it has no hidden nonlinearity, so activation ${cfg.activation} does not apply; leave it out`, at('activation', ['activation'])));
  }
  const inputs = (cfg.probes ?? []).filter((p) => ACTIVATION_PROBES.includes(p));
  if (inputs.length) {
    errors.push(new UserError(`${what}: ${inputs.join(', ')} read the inputs to hidden nonlinearities, and it has none (its probes: grad_norms, param_norms)`, sources.locate(['probes'])));
  }
  return errors;
}

/**
 * What does not fit a convnet: data that are not images, a block whose map would be empty, a norm
 * that cannot sit on every layer it would be given (instance norm on the dense layers after the
 * head; a group count that does not divide a layer's channels or units).
 */
function cnnMisfits(
  cfg: ExperimentConfig,
  norm: NormSpec,
  normPath: KeyPath,
  at: (key: string, path: KeyPath) => SourceLocation,
  sources: ConfigSources,
): UserError[] {
  if (cfg.model.kind !== 'cnn') return [];
  const model = cfg.model;
  const errors: UserError[] = [];
  const image = imageShapeOf(cfg.dataset);
  if (!image && cfg.dataset.name === 'files') {
    errors.push(new UserError('model cnn reads images: give your data\'s image shape as dataset.shape, [H, W] or [H, W, C] (channels last), or use model mlp', at('dataset.name', ['dataset', 'name'])));
  } else if (!image) {
    const images = `${Object.keys(IMAGE_SHAPES).join(', ')}, or files with a dataset.shape`;
    errors.push(new UserError(`model cnn reads images, and data set "${cfg.dataset.name}" is not one (image data sets: ${images}); use one of them, or model mlp`, at('dataset.name', ['dataset', 'name'])));
  } else {
    const {error} = cnnShapes(model, image);
    if (error) errors.push(new UserError(`${error} (images ${image.join('×')})`, at('model.channels', ['model', 'channels'])));
  }
  if (norm.name === 'instance' && model.hidden.length > 0) {
    errors.push(new UserError(`norm instance takes statistics per channel over a map's H·W positions; the dense hidden layers after the head (model.hidden ${JSON.stringify(model.hidden)}) have none. ` +
      'Use hidden: [], or a norm that fits dense layers too (group, layer, batch)', sources.locate(normPath)));
  }
  if (norm.name === 'group') {
    const groups = Number(norm.options.groups);
    const widths = [...model.channels.map((c, b) => [`conv block ${b + 1}`, c] as const), ...model.hidden.map((u, i) => [`hidden layer ${i + 1}`, u] as const)];
    const bad = widths.filter(([, w]) => w % groups !== 0 || w === groups);
    if (bad.length) {
      const widthsText = bad.map(([name, w]) => `${name} (${w})`).join(', ');
      const fits = Array.from({length: 64}, (_, i) => i + 1).filter((g) => widths.every(([, w]) => w % g === 0 && w > g));
      errors.push(new UserError(`norm group: groups=${groups} must divide every layer's channels and leave at least 2 a group; it does not for ${widthsText}` +
        (fits.length ? ` (groups that fit every layer: ${fits.join(', ')})` : ''), sources.locate(normPath)));
    }
  }
  return errors;
}

/** Expand a loaded experiment into its runs; every grid problem is a located UserError. */
export function expandExperiment(loaded: CheckedConfig): ExpandedExperiment {
  const {config, sources} = loaded;
  const blocks = gridBlocks(config.grid);
  const factorKeys = gridKeys(config.grid).filter((k) => !(DIRECT_GRID_KEYS as readonly string[]).includes(k));
  const errors: UserError[] = [];
  const runs: RunSpec[] = [];
  const seen = new Map<string, {block: number; position: number; cell: number[]; label: string}>();
  const repeats = new Map<string, {path: KeyPath; text: string; pairs: string[]}>();
  let position = -1;
  blocks.forEach((block, b) => {
    const gridKeys = Object.keys(block);
    const here = Array.isArray(config.grid) ? `grid[${b}]` : 'grid';
    cartesian(gridKeys.map((k) => block[k]!)).forEach((cell) => {
      position++;
      const {base, normEntry, normPath} = applyCell(config, b, gridKeys, cell);
      const parsed = experimentSchema.safeParse(base);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          // A problem inside a grid-varied key is reported at the grid entry that put it there.
          const d = describeIssue(issue, base);
          const issuePath = d.path.map(String).join('.');
          const k = gridKeys.findIndex((key) => issuePath === key || issuePath.startsWith(`${key}.`));
          if (k < 0) errors.push(new UserError(d.message, sources.locate(d.path, d.preferKey)));
          else errors.push(new UserError(`${d.message} (grid value for ${gridKeys[k]})`, sources.locate(valuePath(config, b, gridKeys[k]!, cell[k]!))));
        }
        return;
      }
      const norm = resolveNormEntry(normEntry, sources, normPath);
      if (Array.isArray(norm)) {
        errors.push(...norm);
        return;
      }
      const cfg = parsed.data;
      // Where a key's value came from: its grid entry when the grid varies it.
      const at = (key: string, path: KeyPath) => {
        const k = gridKeys.indexOf(key);
        return k < 0 ? sources.locate(path) : sources.locate(valuePath(config, b, key, cell[k]!));
      };
      const misfits = cellMisfits(cfg, norm, normPath, at, sources);
      if (misfits.length) {
        errors.push(...misfits);
        return;
      }
      const recurrent = RECURRENT_MODELS.includes(cfg.model.kind);
      const probes = cfg.probes ?? (recurrent ? ['gradient_flow' as const] : []);
      const activation = cfg.activation ?? (recurrent ? 'tanh' : 'relu');
      // Your own data's paths are relative to the experiment file: its directory goes with the run.
      const dataset = cfg.dataset.name === 'files' ? {...cfg.dataset, root: resolve(dirname(sources.file))} : cfg.dataset;
      const spec = {norm, activation, seed: cfg.seed, dataset, model: cfg.model, train: cfg.train};
      const id = runId(spec);
      // A factor a block leaves out takes the value its cell trains with. In blocks a whole section
      // is always named as it trains (defaults filled in), so one data set has one label.
      const blocked = Array.isArray(config.grid);
      const values = Object.fromEntries(factorKeys.map((key) => {
        const k = gridKeys.indexOf(key);
        const whole = (WHOLE_SECTIONS as readonly string[]).includes(key);
        return [key, k >= 0 && !(blocked && whole) ? block[key]![cell[k]!] : valueAt(cfg as unknown as Record<string, unknown>, key) ?? laterDefault(cfg, key)];
      }));
      const factors = Object.fromEntries(Object.entries(values).map(([key, v]) => [key, factorText(v)]));
      const label = cellLabel({norm_label: normLabel(norm), activation: spec.activation, seed: spec.seed, factors});
      const earlier = seen.get(id);
      if (earlier) {
        let path: KeyPath;
        let text: string;
        if (earlier.block === b) {
          // The grid entry where the two cells differ says the same thing as an earlier entry.
          const k = cell.findIndex((choice, i) => choice !== earlier.cell[i]);
          path = valuePath(config, b, gridKeys[k]!, cell[k]!);
          text = `${here}.${gridKeys[k]!}[${cell[k]}] gives the same ${gridKeys[k]!} as ${here}.${gridKeys[k]!}[${earlier.cell[k]}], so`;
        } else {
          path = ['grid', b];
          text = `${here} repeats a cell of grid[${earlier.block}]:`;
        }
        const entry = formatPathText(path);
        const group = repeats.get(entry) ?? {path, text, pairs: []};
        group.pairs.push(`cell ${position} (${label}) is the same run as cell ${earlier.position} (${earlier.label})`);
        repeats.set(entry, group);
        return;
      }
      seen.set(id, {block: b, position, cell, label});
      runs.push({
        run_id: id, index: runs.length, norm_label: normLabel(norm), factors, factor_values: values, ...spec, probes, eval_modes: cfg.eval_modes ?? [], ...(cfg.eval_train && {eval_train: true}),
        ...(Array.isArray(config.grid) && {block: b}),
      });
    });
  });
  for (const {path, text, pairs} of repeats.values()) {
    const more = pairs.length > 1 ? ` (and ${pairs.length - 1} more cell${pairs.length > 2 ? 's' : ''})` : '';
    errors.push(new UserError(`${text} grid ${pairs[0]}${more}; list each ${path.length > 2 ? 'value' : 'cell'} once`, sources.locate(path)));
  }
  if (config.tune) errors.push(...tuneMisfits(config, runs, sources));
  throwIfAny(errors, sources.layers.map((l) => l.file));
  return {config, factorKeys, runs};
}

/**
 * What `tune:` cannot do with this grid: search a key the grid varies, choose by a validation
 * metric without a validation split, tune with a seed the grid trains.
 */
function tuneMisfits(config: ExperimentConfig, runs: RunSpec[], sources: ConfigSources): UserError[] {
  const tune = config.tune!;
  const errors: UserError[] = [];
  const [key] = tunedKeys(tune);
  if (key === undefined) return errors;
  if (gridVaries(config.grid, key)) {
    errors.push(new UserError(`${key} is both tuned and a grid factor: tuning chooses its value for each condition, so the grid cannot also set it. ` +
      `Remove grid.${key}, or tune another key`, sources.locate(['tune', key], true)));
  }
  if (tune.metric.startsWith('val_') || tune.metric.includes('_val_')) {
    const without = runs.filter((r) => r.dataset.validation === undefined);
    if (without.length) {
      errors.push(new UserError(`tune.metric ${tune.metric} is measured on a validation split, and ${without.length === runs.length ? 'the data set has none' : `${without.length} of the grid's runs have none`}: ` +
        'set dataset.validation (a count, or a fraction such as 0.1), or tune by train_loss_auc', sources.locate(['tune', 'metric'])));
    }
  }
  // A key the optimizer never reads would train every value the same: a tie, and wasted runs.
  const reads: Record<string, readonly string[]> = {
    sgd: ['train.lr', 'train.clip_norm'],
    momentum: ['train.lr', 'train.momentum', 'train.clip_norm'],
    adam: ['train.lr', 'train.beta1', 'train.beta2', 'train.epsilon', 'train.clip_norm'],
    rmsprop: ['train.lr', 'train.decay', 'train.momentum', 'train.epsilon', 'train.clip_norm'],
  };
  const deaf = [...new Set(runs.map((r) => r.train.optimizer))].filter((o) => reads[o] && !reads[o]!.includes(key));
  if (deaf.length) {
    errors.push(new UserError(`optimizer ${deaf.join(', ')} does not use ${key}: every value would train the same. ` +
      `Tune a key it reads (${reads[deaf[0]!]!.join(', ')})`, sources.locate(['tune', key], true)));
  }
  const gridSeeds = new Set(runs.map((r) => r.seed));
  const shared = tune.seeds.filter((s) => gridSeeds.has(s));
  if (shared.length) {
    errors.push(new UserError(`tune.seeds must be disjoint from the grid's seeds (the runs that are compared must not be the ones that chose their setting): ` +
      `${shared.join(', ')} ${shared.length === 1 ? 'is' : 'are'} also in the grid (grid seeds: ${[...gridSeeds].sort((a, b) => a - b).join(', ')})`, sources.locate(['tune', 'seeds'])));
  }
  return errors;
}

/** The grid of a config already resolved (a manifest's), expanded; a problem is located in `manifest.json`. */
export function expandResolved(config: ExperimentConfig): ExpandedExperiment {
  const sources = new ConfigSources([{file: 'manifest.json', data: config as unknown as Record<string, unknown>}]);
  return expandExperiment({config, sources});
}

/** `grid.train.lr[2]`, `grid[1]`: a key path as the messages write it. */
function formatPathText(path: KeyPath): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}
