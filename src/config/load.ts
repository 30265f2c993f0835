// Load an experiment: YAML with positions → `extends` resolved and deep-merged → --set
// overrides → schema-checked, typed ExperimentConfig. Every error names file:line:col and key path.

import {readFileSync} from 'node:fs';
import {dirname, relative, resolve} from 'node:path';
import {LineCounter, parse as parseYamlValue, parseDocument} from 'yaml';
import type {z} from 'zod';
import {UserError, UserErrors} from '../errors.js';
import {unknownName} from '../suggest.js';
import {experimentSchema, type ExperimentConfig} from './schema.js';
import {ConfigSources, formatPath, type KeyPath, type SourceLayer} from './sources.js';

export interface LoadOptions {
  /** `key.path=value` overrides; values are read as YAML (numbers, lists, maps). */
  set?: string[];
}

export interface LoadedExperiment {
  /** The experiment file as given. */
  file: string;
  config: ExperimentConfig;
  sources: ConfigSources;
}

type Dict = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Dict {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

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

/** Parse one YAML file into a layer; `extends` is returned separately. */
function readLayer(file: string): {layer: SourceLayer; parents: string[]} {
  const shown = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(error)})`, {file: shown});
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {lineCounter, uniqueKeys: true, prettyErrors: false});
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const {line, col} = lineCounter.linePos(err.pos[0]);
    throw new UserError(`invalid YAML: ${err.message.split('\n')[0]}`, {file: shown, line, col});
  }
  const data = doc.toJS() as unknown;
  if (!isPlainObject(data)) {
    throw new UserError('an experiment must be a YAML mapping (key: value lines)', {file: shown, line: 1, col: 1});
  }
  const layer: SourceLayer = {file: shown, data, doc, lineCounter};
  const ext = data.extends;
  delete data.extends;
  if (ext === undefined) return {layer, parents: []};
  const list = typeof ext === 'string' ? [ext] : ext;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    const loc = new ConfigSources([{...layer, data: {...data, extends: ext}}]).locate(['extends']);
    throw new UserError('`extends` must be a relative path or a list of them', loc);
  }
  return {layer, parents: list.map((p) => resolve(dirname(file), p))};
}

/** The layers of `file` and everything it extends, parents first. */
function collectLayers(file: string, stack: string[]): SourceLayer[] {
  const abs = resolve(file);
  if (stack.includes(abs)) {
    const chain = [...stack.slice(stack.indexOf(abs)), abs].map(displayPath).join(' → ');
    throw new UserError(`\`extends\` forms a cycle: ${chain}`, {file: displayPath(stack[stack.length - 1]!), path: 'extends'});
  }
  const {layer, parents} = readLayer(abs);
  const layers: SourceLayer[] = [];
  for (const parent of parents) layers.push(...collectLayers(parent, [...stack, abs]));
  layers.push(layer);
  return layers;
}

/** `train.lr=0.05` → path [train, lr] and value 0.05. `grid.<dotted key>` keeps the key whole. */
export function parseSetOverride(text: string): {path: string[]; value: unknown} {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new UserError(`--set takes key.path=value, got "${text}" (e.g. --set train.lr=0.05)`, {file: '--set'});
  }
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const parts = key.split('.');
  const path = parts[0] === 'grid' && parts.length > 2 ? ['grid', parts.slice(1).join('.')] : parts;
  let value: unknown;
  try {
    value = parseYamlValue(raw);
  } catch {
    value = raw;
  }
  return {path, value};
}

function setLayer(overrides: string[]): SourceLayer {
  let data: Dict = {};
  for (const text of overrides) {
    const {path, value} = parseSetOverride(text);
    let patch: unknown = value;
    for (let i = path.length - 1; i >= 0; i--) patch = {[path[i]!]: patch};
    data = deepMerge(data, patch as Dict);
  }
  return {file: '--set', data};
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let cur = data;
  for (const seg of path) cur = isPlainObject(cur) || Array.isArray(cur) ? (cur as Dict)[String(seg)] : undefined;
  return cur;
}

export interface IssueDescription {
  message: string;
  /** Path of the offending key, relative to the data checked. */
  path: Array<string | number>;
  /** Locate the key rather than its value (unknown keys). */
  preferKey: boolean;
}

/** A schema issue in words, with suggestions for misspelt names and keys. */
export function describeIssue(issue: z.core.$ZodIssue, data: unknown): IssueDescription {
  const local = issue.path as Array<string | number>;
  if (issue.code === 'unrecognized_keys') {
    return {message: issue.message, path: [...local, issue.keys[0]!], preferKey: true};
  }
  const input = valueAt(data, local);
  if (issue.code === 'invalid_value') {
    const kind = String(local[local.length - 1] ?? 'value');
    return {message: unknownName(kind, String(input), issue.values.map(String)), path: local, preferKey: false};
  }
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    const kind = String(local[local.length - 2] ?? 'value');
    return {message: unknownName(kind, String(input), (issue.options as unknown[]).map(String)), path: local, preferKey: false};
  }
  if (issue.code === 'invalid_type' && input === undefined) {
    return {message: `missing required key "${formatPath(local)}" (${issue.expected})`, path: local, preferKey: false};
  }
  return {message: issue.message, path: local, preferKey: false};
}

/** Turn schema issues into located user errors; `prefix` is where the checked data sits. */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  sources: ConfigSources,
  prefix: KeyPath = [],
): UserError[] {
  return issues.map((issue) => {
    const d = describeIssue(issue, data);
    return new UserError(d.message, sources.locate([...prefix, ...d.path], d.preferKey));
  });
}

/** Read, merge and check an experiment file. Throws UserError(s) on any problem. */
export function loadExperiment(file: string, options: LoadOptions = {}): LoadedExperiment {
  const layers = collectLayers(file, []);
  if (options.set?.length) layers.push(setLayer(options.set));
  const sources = new ConfigSources(layers);
  const merged = layers.reduce<Dict>((acc, layer) => deepMerge(acc, layer.data), {});
  const parsed = experimentSchema.safeParse(merged);
  if (!parsed.success) {
    const errors = issuesToErrors(parsed.error.issues, merged, sources);
    throw errors.length === 1 ? errors[0]! : new UserErrors(errors);
  }
  return {file, config: parsed.data, sources};
}
