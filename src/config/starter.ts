// `normbench init`: a starter experiment, or a copy of a bundled one, written where the user
// works. The starter shows every section with a line on what each key means and takes (the
// name lists interpolated, so they cannot go stale), on the bundled data, small enough to run in
// seconds; the sections it does not need are there commented out. Its first line points editors
// at the JSON Schema shipped with this normbench (json-schema.ts).

import {readFileSync, statSync, writeFileSync, mkdirSync} from 'node:fs';
import {basename, dirname, join, relative} from 'node:path';
import {isMap, isScalar, isSeq, parseDocument, type Node} from 'yaml';
import {UserError} from '../errors.js';
import {
  ACTIVATIONS, CLAIM_EXPECTATIONS, DATASETS, EVAL_MODES, INITIALIZERS, MODELS, NORMS, OPTIMIZERS, PROBES, SEQUENCE_DATASETS, TUNABLE_KEYS, TUNE_METRIC_NAMES,
  TUNE_SCHEDULES,
} from '../spec/names.js';
import {unknownName} from '../suggest.js';
import {PACKAGE_ROOT} from '../version.js';
import {BUNDLED_DIR, bundledExperiments, findParent} from './find.js';
import {schemaUrl} from './json-schema.js';

/** The first line of a file that editors read its schema from (the YAML language server's modeline). */
export const schemaLine = (url: string): string => `# yaml-language-server: $schema=${url}`;

/** The file `init NAME` writes: NAME as given when it ends in .yaml or .yml, else NAME.yaml. */
export function starterFile(name: string | undefined, from?: string): string {
  const file = name ?? from ?? 'experiment';
  return /\.ya?ml$/i.test(file) ? file : `${file}.yaml`;
}

/** The experiment's `name:` for a file: its base name, in the letters a name may hold. */
export function experimentName(file: string): string {
  const name = basename(file).replace(/\.ya?ml$/i, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return name || 'experiment';
}

const list = (names: readonly string[]) => names.join(', ');

/**
 * The starter experiment `name`, to be written to `file`: 18 runs of a 784-32-32-10 MLP on the
 * bundled data, under half a minute on 2 cores.
 */
export function starterExperiment(name: string, file: string, schema: string): string {
  return `${schemaLine(schema)}
# A normbench experiment: identical networks (the same initial weights, the same batches) that
# differ only in what the grid varies. Your editor completes and checks the keys through the
# line above. Every key is in normbench's README, "Experiment YAML".
#   normbench validate ${file}   # check it and print the grid; trains nothing
#   normbench run ${file}        # train it: results/${name}/{summary,curves}.csv
#   normbench check results/${name}   # decide the claims below

${`name: ${name}`.padEnd(34)} # lower-case letters, digits, ".", "_", "-"; also the output directory, results/<name>
question: With a sigmoid or ReLU MLP, do BatchNorm and LayerNorm fit the training set faster than no normalization?
# description: free text
# extends: quickstart              # start from a bundled experiment (by name), a file relative to this one, or a bundled
#                                  #   file (configs/models/mlp-3x100.yaml); a list is merged in order, this file's keys last

dataset:                           # the data (normbench list datasets)
  name: fashion-mnist-mini         # ${list(DATASETS.filter((d) => !SEQUENCE_DATASETS.includes(d)))}; sequences, for lstm and rnn: ${list(SEQUENCE_DATASETS)} (…-mini: bundled; the full set: normbench data fetch)
  # your own data instead: name: files, format: csv, train: train.csv, test: test.csv, label: class (README, "Your own data")
  # train_limit: 3000              # use only the first N training examples (test_limit: of the test split)
  # validation: 0.1                # hold out a validation split: a count, or a fraction (needed by tune and val_* targets)
  # standardize: true              # standardize each input feature by the training split's mean and std

model:                             # the network (normbench list models)
  kind: mlp                        # ${list(MODELS)}
  hidden: [32, 32]                 # mlp: the hidden widths, each layer dense → norm → activation; lstm, rnn: units
  init: glorot_uniform             # ${list(INITIALIZERS)} (normal: with init_std, default 0.01)

train:                             # the optimizer and the training loop
  optimizer: sgd                   # ${list(OPTIMIZERS)}
  lr: 0.1                          # learning rate, > 0
  batch_size: 60                   # examples per step, ≥ 2 (batch statistics need two)
  steps: 200                       # training steps (200 × 60 = 2 passes over the 6000 training images)
  eval_every: 50                   # evaluate on the test split every k steps, and at step 0 and the last step
  # clip_norm: 1                   # rescale the gradient to a global L2 norm of at most this
  # momentum: 0.9                  # momentum, rmsprop; adam: beta1 0.9, beta2 0.999, epsilon 1e-7; rmsprop: decay 0.9

# Used when the grid does not vary them:
# norm: none                       # ${list(NORMS)}; with options: {name: batch, momentum: 0.99}
# activation: relu                 # ${list(ACTIVATIONS)}
# seed: 1                          # initial weights and batch order

grid:                              # every combination is a run; the first key varies slowest
  norm: [none, batch, layer]       # a norm with options: {name: batch, center: false} (normbench list norms)
  activation: [sigmoid, relu]      # ${list(ACTIVATIONS)}
  seed: [1, 2, 3]                  # runs with the same seed share initial weights and batches: paired comparisons
  # train.batch_size: [16, 60]     # any dataset.*, model.* or train.* key by its dotted path

targets:                           # steps to reach each value: the steps_to_<target> summary columns
  test_accuracy: [0.7, 0.8]        # reached at or above; test_loss, train_loss: at or below

# probes: [dead_units, saturation] # diagnostics at every evaluation: ${list(PROBES)}
# eval_modes: [ema, population]    # evaluate the final weights with each kind of BN statistics: ${list(EVAL_MODES)}
# eval_train: true                 # evaluate the final weights on the training split too: the generalization gap
# report: {baseline: {norm: none}} # \`normbench report\` pairs every condition with this one, seed by seed

verify:                            # tolerances of \`normbench verify <results> --reference <dir>\`
  rtol: 1e-4                       # |now − reference| ≤ atol + rtol·|reference|
  atol: 1e-6                       # the allowed absolute difference
  # metrics: {final_test_accuracy: {atol: 0.002}}   # per results column

claims:                            # what \`normbench check\` decides from the results: holds, contradicted or inconclusive
  - id: bn-speeds-up-sigmoid       # lower-case letters, digits, "-"
    says: with sigmoid, BatchNorm fits the training set faster than no normalization
    metric: train_loss_auc         # a summary column (final_test_accuracy, best_test_accuracy, steps_to_test_accuracy_0.8, …)
    than: {norm: none}             # another condition, paired by seed; or another column of the same runs
    where: {norm: batch, activation: sigmoid}   # the runs the claim is about
    expect: less                   # ${list(CLAIM_EXPECTATIONS)} (equal: within ±margin)
    margin: 0                      # the smallest difference that counts, in the metric's units

# Tune a train.* key for each condition on the validation split before the grid trains
# (needs dataset.validation; tunable: ${list(TUNABLE_KEYS)}):
# tune:
#   train.lr: {log_range: [0.01, 1], points: 5}   # or {values: [0.01, 0.1, 1]}
#   metric: val_loss_auc           # ${list(TUNE_METRIC_NAMES)}
#   seeds: [101]                   # tuning seeds, none of them a grid seed
#   schedule: full                 # ${list(TUNE_SCHEDULES)} (successive halving, eta: 3)
`;
}

/** The scalars of a top-level key's value (one, or a list of them), with where they are in the text. */
function scalarsAt(doc: ReturnType<typeof parseDocument>, key: string): Array<{value: string; range: [number, number]}> {
  if (!isMap(doc.contents)) return [];
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  const node = pair?.value as Node | undefined;
  const nodes = isSeq(node) ? node.items : [node];
  return nodes.filter((n) => isScalar(n) && typeof n.value === 'string' && n.range).map((n) => {
    const scalar = n as Node & {value: string; range: [number, number, number]};
    return {value: scalar.value, range: [scalar.range[0], scalar.range[1]]};
  });
}

/**
 * A bundled experiment copied to be edited elsewhere: the schema line first, `name` set, and
 * each `extends` rewritten to what finds the same file from anywhere (configs/…), so that the
 * copy validates as it is. Only those values change; the comments and layout stay.
 */
export function copyOfBundled(bundled: string, name: string, schema: string): string {
  const source = join(BUNDLED_DIR, `${bundled}.yaml`);
  const text = readFileSync(source, 'utf8');
  const doc = parseDocument(text);
  const edits = scalarsAt(doc, 'extends').map(({value, range}) => {
    const found = findParent(value, BUNDLED_DIR);
    return {range, text: 'file' in found ? relative(PACKAGE_ROOT, found.file).split('\\').join('/') : value};
  });
  edits.push(...scalarsAt(doc, 'name').map(({range}) => ({range, text: name})));
  let body = text;
  for (const edit of edits.sort((a, b) => b.range[0] - a.range[0])) body = body.slice(0, edit.range[0]) + edit.text + body.slice(edit.range[1]);
  body = body.replace(/^# yaml-language-server:.*\n/, '');
  return `${schemaLine(schema)}\n# A copy of normbench's bundled experiment "${bundled}" (normbench init --from ${bundled}).\n${body}`;
}

export interface InitOptions {
  /** The file, or its name without .yaml; default experiment.yaml (or <from>.yaml). */
  name?: string;
  /** A bundled experiment to copy instead of the starter. */
  from?: string;
  /** Replace an existing file. */
  force?: boolean;
}

export interface InitResult {
  file: string;
  name: string;
  from?: string;
  schema: string;
  replaced: boolean;
}

/** Write the starter (or the copy); an existing file is refused unless `force`. */
export function initExperiment(options: InitOptions): InitResult {
  if (options.from !== undefined && !bundledExperiments().includes(options.from)) {
    throw new UserError(`--from: ${unknownName('bundled experiment', options.from, bundledExperiments())}`, undefined, 'usage');
  }
  const file = starterFile(options.name, options.from);
  const existing = statSync(file, {throwIfNoEntry: false});
  if (existing?.isDirectory()) throw new UserError('is a directory; give a file name (e.g. my-experiment.yaml)', {file}, 'path');
  if (existing && !options.force) {
    throw new UserError('already exists; init does not overwrite it (--force replaces it, or give another name: normbench init NAME)', {file}, 'conflict');
  }
  const name = experimentName(file);
  const schema = schemaUrl();
  const text = options.from !== undefined ? copyOfBundled(options.from, name, schema) : starterExperiment(name, file, schema);
  try {
    mkdirSync(dirname(file), {recursive: true});
    writeFileSync(file, text, {flag: options.force ? 'w' : 'wx'});
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UserError('already exists; init does not overwrite it (--force replaces it)', {file}, 'conflict');
    throw new UserError(`cannot be written (${code ?? String(error)})`, {file}, 'path');
  }
  return {file, name, ...(options.from !== undefined && {from: options.from}), schema, replaced: existing !== undefined};
}
