// What a grid may vary, and the checks of every grid value on its own. They run on the merged
// YAML before the typed config exists, so a bad grid value is reported in the same pass as a
// typo elsewhere in the file, not one round later.

import type {z} from 'zod';
import {UserError} from '../errors.js';
import {ACTIVATIONS, DIRECT_GRID_KEYS} from '../spec/names.js';
import {parseNorm} from '../norms/catalog.js';
import type {NormSpec} from '../spec/experiment.js';
import {nearest, unknownName} from '../suggest.js';
import {datasetSchema, experimentSchema, MODEL_VARIANTS, modelSchema, trainSchema} from './schema.js';
import type {ConfigSources, KeyPath} from './sources.js';
import {describeIssue, describeIssues, isPlainObject} from './issues.js';

export const SECTIONS = ['dataset', 'model', 'train'] as const;

/** Sections a grid may vary whole: each entry replaces the section (e.g. two data sets in one grid). */
export const WHOLE_SECTIONS = ['dataset', 'model'] as const;

/** The schema variant of the dataset named `name` (undefined for an unknown name). */
function datasetVariant(name: unknown) {
  return datasetSchema.options.find((o) => o.shape.name.value === name);
}

/** The schema variant of the model of kind `kind` (undefined for an unknown kind). */
function modelVariant(kind: unknown) {
  return MODEL_VARIANTS.find((o) => o.shape.kind.value === kind);
}

/** Keys a grid may vary: norm, activation, seed, and section.key for every schema key. */
export function gridableKeys(datasetName: unknown, modelKind: unknown): string[] {
  const dataset = datasetVariant(datasetName);
  const model = modelVariant(modelKind);
  const shapes: Record<(typeof SECTIONS)[number], string[]> = {
    dataset: dataset ? Object.keys(dataset.shape).filter((k) => k !== 'name') : [],
    model: model ? Object.keys(model.shape).filter((k) => k !== 'kind') : [],
    train: Object.keys(trainSchema.shape),
  };
  return [...DIRECT_GRID_KEYS, ...WHOLE_SECTIONS, ...SECTIONS.flatMap((section) => shapes[section].map((k) => `${section}.${k}`))];
}

/** The schema of one gridable key, e.g. `train.lr` → trainSchema.shape.lr. */
function keySchema(key: string, datasetName: unknown, modelKind: unknown): z.ZodType | undefined {
  if (key === 'seed') return experimentSchema.shape.seed;
  if (key === 'dataset') return datasetSchema;
  if (key === 'model') return modelSchema;
  const [section, field] = key.split('.') as [string, string];
  if (section === 'dataset') return (datasetVariant(datasetName)?.shape as Record<string, z.ZodType> | undefined)?.[field];
  if (section === 'model') return (modelVariant(modelKind)?.shape as Record<string, z.ZodType> | undefined)?.[field];
  if (section === 'train') return (trainSchema.shape as Record<string, z.ZodType>)[field];
  return undefined;
}

/** A norm entry (a name, or {name, options…}) to a NormSpec; problems located in the YAML. */
export function resolveNormEntry(entry: unknown, sources: ConfigSources, path: KeyPath): NormSpec | UserError[] {
  if (typeof entry === 'string') {
    const result = parseNorm(entry);
    if (result.ok) return result.spec;
    if ('unknownName' in result) return [new UserError(result.unknownName, sources.locate(path))];
    return [new UserError('message' in result ? result.message : result.issues[0]!.message, sources.locate(path))];
  }
  if (!isPlainObject(entry) || typeof entry.name !== 'string') {
    return [new UserError('a norm is a name (batch) or a name with options ({name: batch, momentum: 0.99})', sources.locate(path))];
  }
  const {name, ...options} = entry;
  const result = parseNorm(name, options);
  if (result.ok) return result.spec;
  if ('unknownName' in result) return [new UserError(result.unknownName, sources.locate([...path, 'name']))];
  if ('message' in result) return [new UserError(result.message, sources.locate([...path, result.key ?? Object.keys(options)[0]!], true))];
  return result.issues.map((issue) => {
    const d = describeIssue(issue, options);
    return new UserError(d.message, sources.locate([...path, ...d.path], d.preferKey));
  });
}

/** The problems with one value a grid gives `key`, located at `path`. */
function checkGridValue(key: string, value: unknown, path: KeyPath, datasetName: unknown, modelKind: unknown, sources: ConfigSources): UserError[] {
  const errors: UserError[] = [];
  if (key === 'norm') {
    const norm = resolveNormEntry(value, sources, path);
    if (Array.isArray(norm)) errors.push(...norm);
  } else if (key === 'activation') {
    if (!(ACTIVATIONS as readonly unknown[]).includes(value)) {
      errors.push(new UserError(unknownName('activation', String(value), ACTIVATIONS), sources.locate(path)));
    }
  } else {
    const parsed = keySchema(key, datasetName, modelKind)?.safeParse(value);
    if (parsed && !parsed.success) {
      for (const issue of parsed.error.issues) {
        if ((WHOLE_SECTIONS as readonly string[]).includes(key)) {
          // A whole section: the problem sits inside the entry, located there.
          for (const d of describeIssues(issue, value)) errors.push(new UserError(d.message, sources.locate([...path, ...d.path], d.preferKey)));
          continue;
        }
        const d = describeIssue({...issue, path: [key.split('.').at(-1)!, ...issue.path]}, {[key.split('.').at(-1)!]: value});
        errors.push(new UserError(`${d.message} (grid value for ${key})`, sources.locate(path)));
      }
    }
  }
  return errors;
}

/**
 * Every problem with the grid and the top-level norm / activation, found on the merged data:
 * keys that cannot be varied, and each listed value checked against its key's schema.
 */
export function checkGrid(merged: Record<string, unknown>, sources: ConfigSources): UserError[] {
  const errors: UserError[] = [];
  if (merged.norm !== undefined) {
    const norm = resolveNormEntry(merged.norm, sources, ['norm']);
    if (Array.isArray(norm)) errors.push(...norm);
  }
  const grid = merged.grid;
  const datasetName = isPlainObject(merged.dataset) ? merged.dataset.name : undefined;
  const modelKind = isPlainObject(merged.model) ? merged.model.kind : undefined;
  const known = gridableKeys(datasetName, modelKind);
  // The map form, or a list of blocks (a block's single value may stand without brackets).
  const blocks: Array<{block: Record<string, unknown>; at: KeyPath}> = [];
  if (isPlainObject(grid)) blocks.push({block: grid, at: ['grid']});
  else if (Array.isArray(grid)) {
    grid.forEach((block, b) => {
      if (isPlainObject(block)) blocks.push({block, at: ['grid', b]});
      else errors.push(new UserError('a grid block is a map of keys to a value or a list of values ({norm: batch, train.lr: [0.1, 1]})', sources.locate(['grid', b])));
    });
  } else return errors;
  for (const {block, at} of blocks) {
    const listed = at.length > 1;
    for (const [key, written] of Object.entries(block)) {
      if (!known.includes(key)) {
        // A dataset or model key is only checkable once its name or kind is valid (the schema reports that).
        if (key.startsWith('dataset.') && !datasetVariant(datasetName)) continue;
        if (key.startsWith('model.') && !modelVariant(modelKind)) continue;
        const guess = nearest(key, known);
        errors.push(new UserError(
          `grid cannot vary "${key}"${guess ? ` — did you mean "${guess}"?` : ''} (allowed: ${known.join(', ')})`,
          sources.locate([...at, key], true),
        ));
        continue;
      }
      const single = listed && !Array.isArray(written);
      if (!Array.isArray(written) && !single) continue; // the schema reports a grid entry that is not a list
      const values = single ? [written] : (written as unknown[]);
      values.forEach((value, i) => {
        const path = single ? [...at, key] : [...at, key, i];
        errors.push(...checkGridValue(key, value, path, datasetName, modelKind, sources));
      });
    }
  }
  return errors;
}
