// Load an experiment: YAML with positions → `extends` resolved and deep-merged → --set
// overrides → schema-checked, typed ExperimentConfig. Every error names file:line:col and key
// path, and every error found is reported in one pass, in file order (parents first).

import {readFileSync, statSync} from 'node:fs';
import {dirname, isAbsolute, relative, resolve} from 'node:path';
import {LineCounter, parseDocument, YAMLParseError} from 'yaml';
import {throwIfAny, UserError, type SourceLocation} from '../errors.js';
import {expandExperiment} from './expand.js';
import {checkGrid, WHOLE_SECTIONS} from './grid.js';
import {isPlainObject, issuesToErrors} from './issues.js';
import {findParent} from './find.js';
import {experimentSchema} from './schema.js';
import type {ExpandedExperiment, ExperimentConfig} from '../spec/experiment.js';
import {ConfigSources, type KeyPath, type SourceLayer} from './sources.js';

export {isPlainObject} from './issues.js';

export interface LoadOptions {
  /** `key.path=value` overrides; values are read as YAML (numbers, lists, maps). */
  set?: string[];
}

export interface LoadedExperiment {
  /** The experiment file as given. */
  file: string;
  config: ExperimentConfig;
  sources: ConfigSources;
  /** The grid expanded into its runs (expansion is part of checking: two cells that are one run are an error). */
  expanded: ExpandedExperiment;
}

type Dict = Record<string, unknown>;

/** Aliases allowed per file: enough for any experiment, far too few for a "billion laughs". */
const MAX_ALIASES = 100;

/** Objects merge key by key; arrays and scalars from `over` replace those in `base`. */
export function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = {...base};
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** Why a file cannot be read, in words. */
function unreadable(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not an experiment file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${code ?? String(error)})`;
}

interface ReadResult {
  layer?: SourceLayer;
  /** Parents named by `extends`, with where they were named. */
  parents: Array<{file: string; written: string; ref: SourceLocation}>;
  errors: UserError[];
}

/** YAML problems of one document as located errors: syntax, duplicate keys, custom tags. */
function yamlErrors(doc: ReturnType<typeof parseDocument>, text: string, lineCounter: LineCounter, shown: string): UserError[] {
  const at = (pos: [number, number]) => ({file: shown, ...lineCounter.linePos(pos[0])});
  const errors = doc.errors.map((err) => {
    if (err.code === 'DUPLICATE_KEY') {
      const key = /^\s*(["']?)([^:\n]*?)\1\s*:/.exec(text.slice(err.pos[0]))?.[2] ?? text.slice(err.pos[0], err.pos[1]);
      return new UserError(`duplicate key "${key}" (each key may appear once in a mapping)`, at(err.pos), 'yaml');
    }
    return new UserError(`invalid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, at(err.pos), 'yaml');
  });
  for (const warning of doc.warnings) {
    const message = warning.code === 'TAG_RESOLVE_FAILED'
      ? `custom YAML tags are not allowed (${warning.message.replace(/^Unresolved tag: /, '').split('\n')[0]})`
      : `invalid YAML: ${warning.message.split('\n')[0]}`;
    errors.push(new UserError(message, at(warning.pos), 'yaml'));
  }
  return errors;
}

/** Parse one YAML file into a layer; `extends` is returned separately. */
function readLayer(file: string, ref?: {written: string; at: SourceLocation}): ReadResult {
  const shown = displayPath(file);
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('directory'), {code: 'EISDIR'});
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const why = unreadable(file, error);
    const err = ref
      ? new UserError(`\`extends\` names "${ref.written}", which ${why === 'file not found' ? 'does not exist' : why} (${file})`, ref.at, 'path')
      : new UserError(why, {file: shown}, 'path');
    return {parents: [], errors: [err]};
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {lineCounter, uniqueKeys: true, prettyErrors: false});
  const errors = yamlErrors(doc, text, lineCounter, shown);
  let data: unknown;
  try {
    data = doc.toJS({maxAliasCount: MAX_ALIASES});
  } catch (error) {
    if (!(error instanceof ReferenceError || error instanceof YAMLParseError)) throw error;
    const message = /alias count/i.test(error.message)
      ? `too many YAML aliases (a resource-exhaustion "billion laughs" pattern; at most ${MAX_ALIASES} are expanded)`
      : `invalid YAML: ${error.message.split('\n')[0]}`;
    return {parents: [], errors: [...errors, new UserError(message, {file: shown, line: 1, col: 1}, 'yaml')]};
  }
  if (!isPlainObject(data)) {
    if (errors.length) return {parents: [], errors};
    return {parents: [], errors: [new UserError('an experiment must be a YAML mapping (key: value lines)', {file: shown, line: 1, col: 1})]};
  }
  const layer: SourceLayer = {file: shown, data, doc, lineCounter};
  const ext = data.extends;
  delete data.extends;
  if (ext === undefined) return {layer, parents: [], errors};
  const single = typeof ext === 'string';
  const list = single ? [ext] : ext;
  const locate = (path: KeyPath) => new ConfigSources([{...layer, data: {...data, extends: ext}}]).locate(path);
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    return {layer, parents: [], errors: [...errors, new UserError('`extends` must be a path, a bundled experiment\'s name or a bundled file (configs/…), or a list of them', locate(['extends']))]};
  }
  const parents: ReadResult['parents'] = [];
  list.forEach((p, i) => {
    const ref = locate(single ? ['extends'] : ['extends', i]);
    const found = findParent(p, dirname(file));
    if ('file' in found) parents.push({file: found.file, written: p, ref});
    else errors.push(new UserError(`\`extends\` names "${p}", which does not exist${found.notFound ? `: ${found.notFound}` : ''}`, ref, 'path'));
  });
  return {layer, parents, errors};
}

/** The layers of `file` and everything it extends, parents first, and every error on the way. */
function collectLayers(file: string, stack: string[], ref?: {written: string; at: SourceLocation}): {layers: SourceLayer[]; errors: UserError[]} {
  const abs = resolve(file);
  if (stack.includes(abs)) {
    const chain = [...stack.slice(stack.indexOf(abs)), abs].map(displayPath).join(' → ');
    return {layers: [], errors: [new UserError(`\`extends\` forms a cycle: ${chain}`, ref?.at ?? {file: displayPath(abs), path: 'extends'})]};
  }
  const read = readLayer(abs, ref);
  const layers: SourceLayer[] = [];
  const errors: UserError[] = [];
  for (const parent of read.parents) {
    const sub = collectLayers(parent.file, [...stack, abs], {written: parent.written, at: parent.ref});
    layers.push(...sub.layers);
    errors.push(...sub.errors);
  }
  if (read.layer) layers.push(read.layer);
  errors.push(...read.errors);
  return {layers, errors};
}

/** `train.lr=0.05` → path [train, lr] and value 0.05. `grid.<dotted key>` keeps the key whole. */
export function parseSetOverride(text: string): {path: string[]; value: unknown} {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new UserError(`--set takes key.path=value, got "${text}" (e.g. --set train.lr=0.05)`, {file: '--set'}, 'usage');
  }
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const parts = key.split('.');
  const path = parts[0] === 'grid' && parts.length > 2 ? ['grid', parts.slice(1).join('.')] : parts;
  const doc = parseDocument(raw, {prettyErrors: false, uniqueKeys: true});
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const message = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`the value "${raw}" is not valid YAML: ${message} (values are read as YAML: 0.05, [1, 2], {name: batch})`,
      {file: '--set', path: key}, 'yaml');
  }
  return {path, value: doc.toJS({maxAliasCount: MAX_ALIASES}) as unknown};
}

function setLayer(overrides: string[]): {layer: SourceLayer; errors: UserError[]} {
  let data: Dict = {};
  const errors: UserError[] = [];
  for (const text of overrides) {
    try {
      const {path, value} = parseSetOverride(text);
      let patch: unknown = value;
      for (let i = path.length - 1; i >= 0; i--) patch = {[path[i]!]: patch};
      data = deepMerge(data, patch as Dict);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(error);
    }
  }
  return {layer: {file: '--set', data}, errors};
}

function hasPath(data: unknown, path: readonly string[]): boolean {
  let cur = data;
  for (const seg of path) {
    if (!isPlainObject(cur) || !(seg in cur)) return false;
    cur = cur[seg];
  }
  return true;
}

/** The maps of a grid as written (not yet checked): the grid itself, or each of its blocks. */
function writtenBlocks(grid: unknown): Dict[] {
  return isPlainObject(grid) ? [grid] : Array.isArray(grid) ? grid.filter(isPlainObject) : [];
}

/**
 * A `--set` of a key that the grid varies would be silently overridden by the grid: an error
 * that names the grid entry and says how to change the grid instead.
 */
function setShadowedByGrid(set: SourceLayer, merged: Dict, sources: ConfigSources): UserError[] {
  const grid = merged.grid;
  const blocks = writtenBlocks(grid);
  const keys = [...new Set(blocks.flatMap((b) => Object.keys(b)))];
  return keys
    .filter((key) => hasPath(set.data, key.split('.')))
    .map((key) => {
      const b = blocks.findIndex((block) => key in block);
      const at = sources.locate(isPlainObject(grid) ? ['grid', key] : ['grid', b, key], true);
      const where = at.file === '--set' ? 'by --set grid' : `at ${at.file}:${at.line}:${at.col}`;
      return new UserError(
        `the grid varies ${key} (${where}), so this value would be ignored; change the grid instead: ` +
          (isPlainObject(grid) ? `--set grid.${key}=[…]` : 'edit its blocks, or set the whole grid with --set \'grid=[{…}, {…}]\''),
        {file: '--set', path: key},
      );
    });
}

/**
 * `--set grid.<key>=…` on a grid written as blocks would replace the blocks with a map of one key
 * (a list and a map do not merge): an error that says so, instead of a silently smaller grid.
 */
function setIntoBlocks(set: SourceLayer, below: SourceLayer[]): UserError[] {
  const grid = below.reduce<Dict>((acc, layer) => deepMerge(acc, layer.data), {}).grid;
  if (!Array.isArray(grid) || !isPlainObject(set.data.grid)) return [];
  const at = new ConfigSources(below).locate(['grid'], true);
  return Object.keys(set.data.grid).map((key) => new UserError(
    `the grid is a list of blocks (at ${at.file}:${at.line}:${at.col}), so --set grid.${key} would replace all of them with one map; ` +
      'edit the blocks, or set the whole grid: --set \'grid=[{…}, {…}]\'',
    {file: '--set', path: `grid.${key}`},
  ));
}

/** A data file's path written in `from` (a directory), as the experiment file's directory `to` reaches it. */
const rebased = (path: unknown, from: string, to: string) => (typeof path === 'string' && path !== '' && !isAbsolute(path) ? relative(to, resolve(from, path)) || '.' : path);

/** A split's files (a path, or `{x, y}`), rebased. */
function rebaseSplit(files: unknown, from: string, to: string): unknown {
  if (!isPlainObject(files)) return rebased(files, from, to);
  return Object.fromEntries(Object.entries(files).map(([role, path]) => [role, role === 'x' || role === 'y' ? rebased(path, from, to) : path]));
}

/** Your own data's paths (dataset.train, .test, each .x/.y) in a data set section, rebased in place. */
function rebaseDataset(section: unknown, from: string, to: string): void {
  if (!isPlainObject(section)) return;
  for (const split of ['train', 'test'].filter((k) => k in section)) section[split] = rebaseSplit(section[split], from, to);
}

/**
 * Paths to data files are relative to the file that writes them (a parent named by `extends`
 * writes them relative to itself, `--set` relative to the working directory); the experiment holds
 * them relative to its own file, where the runs resolve them (src/data/files.ts).
 */
function rebaseDataPaths(layers: SourceLayer[]): void {
  const main = layers.filter((l) => l.doc).at(-1);
  if (!main) return;
  const to = dirname(resolve(main.file));
  for (const layer of layers) {
    if (layer === main) continue;
    const from = layer.doc ? dirname(resolve(layer.file)) : process.cwd();
    rebaseDataset(layer.data.dataset, from, to);
    for (const block of writtenBlocks(layer.data.grid)) {
      const entries = block.dataset;
      for (const entry of Array.isArray(entries) ? entries : [entries]) rebaseDataset(entry, from, to);
      // A grid over one key of the section: `dataset.train: [a.csv, b.csv]`.
      for (const split of ['dataset.train', 'dataset.test']) {
        const values = block[split];
        if (Array.isArray(values)) block[split] = values.map((v) => rebaseSplit(v, from, to));
      }
    }
  }
}

/** Read, merge and check an experiment file. Throws UserError(s) — all of them — on any problem. */
export function loadExperiment(file: string, options: LoadOptions = {}): LoadedExperiment {
  const {layers, errors} = collectLayers(file, []);
  const set = options.set?.length ? setLayer(options.set) : undefined;
  if (set) {
    layers.push(set.layer);
    errors.push(...set.errors);
  }
  const order = layers.map((l) => l.file);
  // YAML that did not parse gives no trustworthy data to check further.
  throwIfAny(errors, order);
  rebaseDataPaths(layers);
  const sources = new ConfigSources(layers);
  const merged = layers.reduce<Dict>((acc, layer) => deepMerge(acc, layer.data), {});
  // A section the grid varies whole needs no value of its own: its first entry stands for it.
  for (const section of WHOLE_SECTIONS) {
    const blocks = writtenBlocks(merged.grid);
    const written = blocks.find((b) => b[section] !== undefined)?.[section];
    const first = Array.isArray(written) ? written[0] : written;
    if (merged[section] === undefined && isPlainObject(first)) merged[section] = structuredClone(first);
  }
  const parsed = experimentSchema.safeParse(merged);
  const gridErrors = checkGrid(merged, sources);
  if (!parsed.success) {
    // A grid the schema rejects as a whole is better told by the grid's own checks, entry by entry.
    const own = gridErrors.some((e) => e.location?.path?.startsWith('grid'));
    errors.push(...issuesToErrors(parsed.error.issues, merged, sources).filter((e) => !(own && e.location?.path === 'grid')));
  }
  errors.push(...gridErrors);
  if (set) errors.push(...setShadowedByGrid(set.layer, merged, sources), ...setIntoBlocks(set.layer, layers.slice(0, -1)));
  let expanded: ExpandedExperiment | undefined;
  if (errors.length === 0) {
    // Cell-level problems (two cells that are the same run) belong to the same report.
    try {
      expanded = expandExperiment({config: parsed.data!, sources});
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(error);
    }
  }
  throwIfAny(errors, order);
  return {file, config: parsed.data!, sources, expanded: expanded!};
}
