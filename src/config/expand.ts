// Grid expansion: the cartesian product of the grid's lists, each cell a RunSpec whose id is a
// hash of its canonical form (same cell → same id, whatever the file or the order of keys).

import {UserError, UserErrors} from '../errors.js';
import type {ActivationName} from '../nn/activations.js';
import {normLabel, parseNorm, type NormSpec} from '../norms/registry.js';
import {nearest} from '../suggest.js';
import {hashOf} from '../util/canonical.js';
import {describeIssue, isPlainObject, issuesToErrors, type LoadedExperiment} from './load.js';
import {
  datasetSchema,
  experimentSchema,
  modelSchema,
  trainSchema,
  type DatasetSpec,
  type ExperimentConfig,
  type ModelSpec,
  type TrainSpec,
} from './schema.js';
import type {ConfigSources, KeyPath} from './sources.js';

/** One grid cell: everything needed to train one network, nothing else. */
export interface RunSpec {
  /** Hash of the canonical spec (12 hex digits). */
  run_id: string;
  /** Position in the grid (0-based). */
  index: number;
  norm: NormSpec;
  /** Readable norm label, e.g. `batch(center=false)`. */
  norm_label: string;
  activation: ActivationName;
  seed: number;
  /** The other grid factors of this cell: dotted key → value as written in CSV. */
  factors: Record<string, string>;
  dataset: DatasetSpec;
  model: ModelSpec;
  train: TrainSpec;
}

export interface ExpandedExperiment {
  config: ExperimentConfig;
  /** Grid keys other than norm / activation / seed, in grid order (extra CSV columns). */
  factorKeys: string[];
  runs: RunSpec[];
}

const SECTIONS = ['dataset', 'model', 'train'] as const;
const DIRECT_KEYS = ['norm', 'activation', 'seed'] as const;

/** Keys that a grid may vary: norm, activation, seed, and section.key for every schema key. */
function gridableKeys(config: ExperimentConfig): string[] {
  const variant = datasetSchema.options.find((o) => o.shape.name.value === config.dataset.name)!;
  const shapes: Record<(typeof SECTIONS)[number], string[]> = {
    dataset: Object.keys(variant.shape).filter((k) => k !== 'name'),
    model: Object.keys(modelSchema.shape),
    train: Object.keys(trainSchema.shape),
  };
  return [...DIRECT_KEYS, ...SECTIONS.flatMap((section) => shapes[section].map((k) => `${section}.${k}`))];
}

/** The run id: what is trained, not how the experiment file names or orders it. */
export function runId(spec: Omit<RunSpec, 'run_id' | 'index' | 'norm_label' | 'factors'>): string {
  return hashOf({
    v: 1,
    dataset: spec.dataset,
    model: spec.model,
    train: spec.train,
    norm: spec.norm,
    activation: spec.activation,
    seed: spec.seed,
  });
}

/** A norm entry (name, or {name, options…}) to a NormSpec; problems located in the YAML. */
function resolveNormEntry(entry: unknown, sources: ConfigSources, path: KeyPath): NormSpec | UserError[] {
  if (typeof entry === 'string') {
    const result = parseNorm(entry);
    if (result.ok) return result.spec;
    return [new UserError('unknownName' in result ? result.unknownName : 'invalid norm', sources.locate(path))];
  }
  if (!isPlainObject(entry) || typeof entry.name !== 'string') {
    return [new UserError('a norm is a name (batch) or a name with options ({name: batch, momentum: 0.99})', sources.locate(path))];
  }
  const {name, ...options} = entry;
  const result = parseNorm(name, options);
  if (result.ok) return result.spec;
  if ('unknownName' in result) return [new UserError(result.unknownName, sources.locate([...path, 'name']))];
  return issuesToErrors(result.issues, options, sources, path);
}

function factorText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) || isPlainObject(value)) return JSON.stringify(value);
  return String(value);
}

function cartesian(lists: unknown[][]): number[][] {
  let cells: number[][] = [[]];
  for (const list of lists) cells = cells.flatMap((cell) => list.map((_, i) => [...cell, i]));
  return cells;
}

/** Throw the errors found, if any: one as itself, several together (duplicates dropped). */
function throwIfAny(errors: UserError[]): void {
  const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
  if (unique.length === 1) throw unique[0]!;
  if (unique.length > 1) throw new UserErrors(unique);
}

function checkGridKeys(config: ExperimentConfig, sources: ConfigSources): void {
  const known = gridableKeys(config);
  const errors = Object.keys(config.grid)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const guess = nearest(key, known);
      return new UserError(
        `grid cannot vary "${key}"${guess ? ` — did you mean "${guess}"?` : ''} (allowed: ${known.join(', ')})`,
        sources.locate(['grid', key], true),
      );
    });
  throwIfAny(errors);
}

/** The config of one cell (grid values put in place) and where its norm entry came from. */
function applyCell(config: ExperimentConfig, gridKeys: string[], cell: number[]) {
  const base = structuredClone({...config, grid: {}}) as Record<string, unknown>;
  let normEntry: unknown = config.norm;
  let normPath: KeyPath = ['norm'];
  cell.forEach((choice, k) => {
    const key = gridKeys[k]!;
    const value = config.grid[key]![choice];
    if (key === 'norm') {
      normEntry = value;
      normPath = ['grid', 'norm', choice];
      return;
    }
    const path = key.split('.');
    let target = base;
    for (const seg of path.slice(0, -1)) target = target[seg] as Record<string, unknown>;
    target[path[path.length - 1]!] = structuredClone(value);
  });
  return {base, normEntry, normPath};
}

/** Expand a loaded experiment into its runs; every grid problem is a located UserError. */
export function expandExperiment(loaded: LoadedExperiment): ExpandedExperiment {
  const {config, sources} = loaded;
  checkGridKeys(config, sources);
  const gridKeys = Object.keys(config.grid);
  const factorKeys = gridKeys.filter((k) => !(DIRECT_KEYS as readonly string[]).includes(k));
  const errors: UserError[] = [];
  const runs: RunSpec[] = [];
  const seen = new Map<string, number>();
  for (const cell of cartesian(gridKeys.map((k) => config.grid[k]!))) {
    const {base, normEntry, normPath} = applyCell(config, gridKeys, cell);
    const parsed = experimentSchema.safeParse(base);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        // A problem inside a grid-varied key is reported at the grid entry that put it there.
        const d = describeIssue(issue, base);
        const issuePath = d.path.map(String).join('.');
        const k = gridKeys.findIndex((key) => issuePath === key || issuePath.startsWith(`${key}.`));
        if (k < 0) errors.push(new UserError(d.message, sources.locate(d.path, d.preferKey)));
        else errors.push(new UserError(`${d.message} (grid value for ${gridKeys[k]})`, sources.locate(['grid', gridKeys[k]!, cell[k]!])));
      }
      continue;
    }
    const norm = resolveNormEntry(normEntry, sources, normPath);
    if (Array.isArray(norm)) {
      errors.push(...norm);
      continue;
    }
    const cfg = parsed.data;
    const spec = {norm, activation: cfg.activation, seed: cfg.seed, dataset: cfg.dataset, model: cfg.model, train: cfg.train};
    const id = runId(spec);
    if (seen.has(id)) {
      errors.push(new UserError(`grid cell ${runs.length} repeats cell ${seen.get(id)} (same run)`, sources.locate(['grid'])));
      continue;
    }
    seen.set(id, runs.length);
    const factors = Object.fromEntries(
      factorKeys.map((key) => [key, factorText(config.grid[key]![cell[gridKeys.indexOf(key)]!])]),
    );
    runs.push({run_id: id, index: runs.length, norm_label: normLabel(norm), factors, ...spec});
  }
  throwIfAny(errors);
  return {config, factorKeys, runs};
}
