// The JSON Schema of an experiment file, for editors: with `# yaml-language-server: $schema=…`
// as a file's first line they complete and check its keys as people type. It is generated from
// the zod schema (schema.ts) and committed as schema/experiment.schema.json (`npm run schema`; a
// test fails when the two differ). zod converts each key's type, range and default; what it
// cannot say, or what a file says differently from the merged experiment that zod checks, is
// put right here:
// 1. a file is one layer of an experiment. Its keys may come from its `extends` parents, which
//    merge objects key by key, so no object reached through objects requires a key. Lists
//    (claims, grid values) replace what they extend, so their entries stay whole;
// 2. `extends` itself (load.ts takes it out before zod sees the rest);
// 3. a data set or model by its name or kind (zod's discriminated unions) as one object with
//    every variant's keys, narrowed by if/then once the name is set: an editor completes any of
//    them, and flags another variant's key as unknown;
// 4. a norm: a name, or a name with that norm's options (from the norm catalog);
// 5. the grid: the keys it may vary (as gridableKeys), each a list of that key's values;
// 6. tune: the tuned train.* key with its values (a superRefine in zod).
// Checks across keys stay with `normbench validate`: a required key missing from the merged
// experiment, the one tuned key, claims against the grid, norm options that fit the model.
// Draft-07, the newest draft that the YAML language server (VS Code, and editors built on it)
// supports in full.

import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {z} from 'zod';
import {NORM_CATALOG} from '../norms/catalog.js';
import {ACTIVATIONS, NORMS, TUNABLE_KEYS} from '../spec/names.js';
import {PACKAGE_ROOT} from '../version.js';
import {datasetSchema, experimentSchema, modelSchema, trainSchema, tuneSchema, tuneValuesSchema} from './schema.js';

/** Where the package ships the generated schema. */
export const SCHEMA_FILE = join(PACKAGE_ROOT, 'schema', 'experiment.schema.json');

/** The schema as a file: URL, for `# yaml-language-server: $schema=…` in a file anywhere. */
export const schemaUrl = (): string => pathToFileURL(SCHEMA_FILE).href;

type JsonSchema = {[key: string]: unknown};

const isSchema = (x: unknown): x is JsonSchema => typeof x === 'object' && x !== null && !Array.isArray(x);

/** One line for each top-level key, shown by editors on hover (the README's table says more). */
const DESCRIPTIONS: Record<keyof typeof experimentSchema.shape | 'extends', string> = {
  name: 'The experiment\'s name: lower-case letters, digits, ".", "_", "-". Also its results directory, results/<name>.',
  question: 'The question the experiment answers, in one sentence; printed with the results.',
  description: 'Free text about the experiment.',
  extends: 'Files this one builds on, merged first (objects key by key; lists and values replace): a path relative to this file, a bundled experiment by name (quickstart), or a bundled file by its path in normbench (configs/models/mlp-3x100.yaml). One, or a list.',
  dataset: 'The data set: fashion-mnist-mini (bundled), fashion-mnist (full), synthetic; sequences: fashion-mnist-mini-rows, fashion-mnist-rows, fashion-mnist-mini-permuted, fashion-mnist-permuted, adding.',
  model: 'The network: kind mlp, lstm or rnn, and its hidden units. mlp: hidden [] is logistic regression; dropout p drops units of each hidden layer\'s output at training steps.',
  train: 'The optimizer and the training loop: lr, batch_size, steps and eval_every are needed (here or in a parent).',
  norm: 'The norm when the grid does not vary it: a name (none, batch, layer, …), or a name with options ({name: batch, momentum: 0.99}; {name: batch, placement: post} puts it after the activation).',
  activation: 'The nonlinearity when the grid does not vary it: relu, sigmoid, tanh, identity (default relu; tanh for lstm, rnn).',
  seed: 'The seed when the grid does not vary it: initial weights and batch order.',
  grid: 'Lists to cross (cartesian product; the first key varies slowest): norm, activation, seed, dataset / model (whole sections), or a dataset.*, model.* or train.* key by dotted path. Or a list of such maps (blocks), whose products are joined; in a block a single value may stand without brackets.',
  targets: 'Values to reach: steps_to_<target> summary columns. Accuracies are reached at or above, losses at or below.',
  probes: 'Diagnostics recorded at step 0 and each evaluation; they never change training.',
  eval_modes: 'MLP: evaluate the final weights with each kind of normalization statistics (ema, population, batch), as extra summary columns.',
  eval_train: 'Evaluate the final weights on the training split too (evaluation mode, no dropout): summary columns final_train_eval_loss, final_train_eval_accuracy and the generalization gaps gap_loss, gap_accuracy.',
  verify: 'Tolerances for `normbench verify`: rtol, atol, and per results column under metrics.',
  claims: 'Sentences as comparisons that `normbench check` decides from the results. Not part of the config hash.',
  report: 'How `normbench report` presents the results: baseline, the condition every other is paired with, seed by seed.',
  tune: 'Tune one train.* key per condition on the validation split before the grid trains: the key with {log_range: [lo, hi], points: n} or {values: [...]}, metric, seeds, schedule.',
};

/** zod's draft-07 conversion of what a file may hold (io: input, so defaults make keys optional). */
function convert(schema: z.ZodType): JsonSchema {
  const {$schema: _, ...json} = z.toJSONSchema(schema, {target: 'draft-7', io: 'input', unrepresentable: 'any'}) as JsonSchema;
  return tidy(json) as JsonSchema;
}

/** Drops zod's bounds of a safe integer (±2^53 − 1): noise to a reader of the schema. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!isSchema(node)) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'maximum' || key === 'minimum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER) continue;
    out[key] = tidy(value);
  }
  return out;
}

const withoutDefault = ({default: _, ...rest}: JsonSchema): JsonSchema => rest;

/** One schema of several (anyOf), each once. */
function anyOf(schemas: JsonSchema[]): JsonSchema {
  const unique = [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
  return unique.length === 1 ? unique[0]! : {anyOf: unique};
}

const listOf = (items: JsonSchema): JsonSchema => ({type: 'array', minItems: 1, items: withoutDefault(items)});

/** Schemas used in several places are written once, under definitions. */
type Definition = 'dataset' | 'model' | 'norm' | 'tuneValues';
const ref = (name: Definition): JsonSchema => ({$ref: `#/definitions/${name}`});

const propertiesOf = (schema: JsonSchema) => schema.properties as Record<string, JsonSchema>;

/**
 * Variants told apart by one key (a data set's `name`, a model's `kind`, a norm's `name`) as one
 * object: every variant's keys, then if/then per variant to its own keys (step 3 above).
 */
function variants(options: JsonSchema[], key: string): JsonSchema {
  const values = options.map((o) => propertiesOf(o)[key]!.const as string);
  const keys = [...new Set(options.flatMap((o) => Object.keys(propertiesOf(o))))].filter((k) => k !== key);
  const shared = Object.fromEntries(keys.map((k) => [k, anyOf(options.flatMap((o) => (propertiesOf(o)[k] ? [withoutDefault(propertiesOf(o)[k]!)] : [])))]));
  return {
    type: 'object',
    properties: {[key]: {type: 'string', enum: values}, ...shared},
    required: [key],
    additionalProperties: false,
    allOf: options.map((o, i) => ({
      if: {properties: {[key]: {const: values[i]}}, required: [key]},
      then: {properties: propertiesOf(o), ...(o.required ? {required: o.required} : {}), additionalProperties: false},
    })),
  };
}

/** The variants of a zod discriminated union, converted. */
const unionVariants = (union: {options: readonly z.ZodType[]}, key: string) => variants(union.options.map(convert), key);

/** A norm: a name, or a name with its options (step 4). */
function normEntry(): JsonSchema {
  const withOptions = NORMS.map((name) => {
    const options = convert(NORM_CATALOG[name].options);
    return {type: 'object', properties: {name: {type: 'string', const: name}, ...propertiesOf(options)}, required: ['name'], additionalProperties: false};
  });
  return {anyOf: [{type: 'string', enum: [...NORMS]}, variants(withOptions, 'name')]};
}

/**
 * The keys a grid may vary, each a list of that key's values (step 5); or a list of such maps
 * (blocks, their products joined), where a single value may stand without brackets.
 */
function gridSchema(dataset: JsonSchema, model: JsonSchema): JsonSchema {
  const dotted = (section: string, schema: JsonSchema, skip?: string) =>
    Object.entries(propertiesOf(schema)).filter(([k]) => k !== skip).map(([k, s]) => [`${section}.${k}`, s] as const);
  const values: Array<readonly [string, JsonSchema]> = [
    ['norm', ref('norm')],
    ['activation', {type: 'string', enum: [...ACTIVATIONS]}],
    ['seed', convert(experimentSchema.shape.seed)],
    ['dataset', ref('dataset')],
    ['model', ref('model')],
    ...dotted('dataset', dataset, 'name'), ...dotted('model', model, 'kind'), ...dotted('train', convert(trainSchema)),
  ];
  const map = {type: 'object', properties: Object.fromEntries(values.map(([k, s]) => [k, listOf(s)])), additionalProperties: false};
  const block = {type: 'object', properties: Object.fromEntries(values.map(([k, s]) => [k, {anyOf: [listOf(structuredClone(s)), structuredClone(s)]}])), additionalProperties: false};
  // if/then/else, not anyOf: a validator then reports a bad value at its own key, not at `grid`.
  return {if: {type: 'object'}, then: map, else: {type: 'array', items: block, minItems: 1}};
}

/** The tuned key with its values, and the options of tuning (step 6). */
function tuneJson(): JsonSchema {
  const tune = convert(tuneSchema);
  return {...tune, properties: {...propertiesOf(tune), ...Object.fromEntries(TUNABLE_KEYS.map((k) => [k, ref('tuneValues')]))}, additionalProperties: false};
}

/** No object reached through objects requires a key: a parent may give it (step 1). */
function partial(node: unknown): void {
  if (!isSchema(node)) return;
  delete node.required;
  for (const child of Object.values((node.properties ?? {}) as Record<string, unknown>)) partial(child);
  partial(node.additionalProperties);
  partial(node.then);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const branch of (node[key] ?? []) as unknown[]) partial(branch);
}

/** The JSON Schema of an experiment file (or of a fragment that experiments extend). */
export function experimentJsonSchema(): JsonSchema {
  const root = convert(experimentSchema);
  const dataset = unionVariants(datasetSchema, 'name');
  const model = unionVariants(modelSchema, 'kind');
  const norm = normEntry();
  const {name, question, description, ...rest} = propertiesOf(root);
  const properties: Record<string, JsonSchema> = {
    name: name!, question: question!, description: description!,
    extends: {anyOf: [{type: 'string'}, {type: 'array', items: {type: 'string'}}]},
    ...rest,
    dataset: structuredClone(dataset),
    model: structuredClone(model),
    norm: {...structuredClone(norm), default: 'none'},
    grid: gridSchema(dataset, model),
    tune: tuneJson(),
  };
  for (const [key, schema] of Object.entries(properties)) properties[key] = {description: DESCRIPTIONS[key as keyof typeof DESCRIPTIONS], ...schema};
  const schema: JsonSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'normbench experiment',
    description: 'A normbench experiment, or a fragment that experiments extend. Keys may come from `extends` parents, so none is required here: `normbench validate` checks the merged experiment.',
    type: 'object',
    properties,
    additionalProperties: false,
  };
  partial(schema);
  // A grid entry of a whole section or a norm replaces, so it is whole. Tuned values merge with a
  // parent's like any object (absurd, but valid), so they are partial too.
  const tuneValues = convert(tuneValuesSchema);
  partial(tuneValues);
  const definitions: Record<Definition, JsonSchema> = {dataset, model, norm, tuneValues};
  return {...schema, definitions};
}

/** The schema file's text, as committed. */
export const experimentJsonSchemaText = (): string => `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
