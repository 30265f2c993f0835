// The JSON Schema of experiment files (schema/experiment.schema.json), which editors read: it is
// what the generator makes now, and a real validator (Python's jsonschema, the reference
// implementation of the spec, Draft 7) agrees with normbench's own loader on every bundled file
// and on each case below. The loader (what `validate` checks) is the reference: the schema may leave a check across keys
// to `validate` (listed below), never reject what normbench accepts.
//
// backend-independent: no tensors.

import {spawnSync} from 'node:child_process';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {parse} from 'yaml';
import test from '../ava.js';
import {checkGridClaims} from '../../src/cli.js';
import {bundledFragments} from '../../src/config/find.js';
import {experimentJsonSchema, experimentJsonSchemaText, SCHEMA_FILE, schemaUrl} from '../../src/config/json-schema.js';
import {loadExperiment} from '../../src/config/load.js';
import {experimentSchema} from '../../src/config/schema.js';
import {copyOfBundled, starterExperiment} from '../../src/config/starter.js';
import {UserError} from '../../src/errors.js';
import {REPO, tempDir, uncommentExamples} from '../helpers.js';

type Schema = {[key: string]: unknown};

test('the committed schema is what the generator makes now (npm run schema), and the package ships it', (t) => {
  t.is(readFileSync(SCHEMA_FILE, 'utf8'), experimentJsonSchemaText(), 'schema/experiment.schema.json is stale: run `npm run schema` and commit it');
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {files: string[]};
  t.true(pkg.files.includes(dirname(relative(REPO, SCHEMA_FILE))));
});

test('every key of the zod schema, and extends, is a described property; no key is required at the top (a parent may give it)', (t) => {
  const schema = experimentJsonSchema();
  const properties = schema.properties as Record<string, Schema>;
  t.deepEqual(Object.keys(properties).sort(), [...Object.keys(experimentSchema.shape), 'extends'].sort());
  for (const [key, property] of Object.entries(properties)) t.true(typeof property.description === 'string' && property.description.length > 10, key);
  t.is(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  t.is(schema.additionalProperties, false);
  t.is(schema.required, undefined);
  t.is((properties.train as Schema).required, undefined);
  // Lists replace what they extend, so their entries stay whole.
  t.deepEqual(((properties.claims as Schema).items as Schema).required, ['id', 'says', 'metric', 'than', 'expect']);
  t.deepEqual((schema.definitions as Record<string, Schema>).model!.required, ['kind']);
});

const HAVE_JSONSCHEMA = spawnSync('python3', ['-c', 'import jsonschema'], {encoding: 'utf8'}).status === 0;
const validatorTest = HAVE_JSONSCHEMA ? test : test.skip;
const needsValidator = HAVE_JSONSCHEMA ? '' : ' [skipped: python3 has no jsonschema (python3 -m pip install jsonschema)]';

/** Each instance checked by Python's jsonschema (Draft 7, the schema's $schema): the paths of its errors ('' the top). */
function validate(schema: Schema, instances: unknown[]): string[][] {
  const script = [
    'import json, sys',
    'from jsonschema import Draft7Validator',
    'data = json.load(sys.stdin)',
    'Draft7Validator.check_schema(data["schema"])',
    'v = Draft7Validator(data["schema"])',
    'print(json.dumps([sorted({".".join(str(p) for p in e.absolute_path) for e in v.iter_errors(i)}) for i in data["instances"]]))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], {input: JSON.stringify({schema, instances}), encoding: 'utf8'});
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[][];
}

/** A YAML file as the loader reads it (YAML 1.2: 1e-4 is a number), as JSON for the validator. */
const readYaml = (text: string): unknown => parse(text, {maxAliasCount: 100});

validatorTest(`a real validator accepts every bundled experiment and fragment, and init's starter; the schema is valid Draft 7${needsValidator}`, (t) => {
  const files = [...readdirSync(join(REPO, 'experiments')).filter((f) => f.endsWith('.yaml')).map((f) => `experiments/${f}`), ...bundledFragments().filter((f) => f.startsWith('configs/'))];
  t.true(files.length >= 16, files.join(', '));
  const texts = Object.fromEntries(files.map((f) => [f, readFileSync(join(REPO, f), 'utf8')]));
  const starter = starterExperiment('starter', 'starter.yaml', schemaUrl());
  Object.assign(texts, {'init': starter, 'init, its examples uncommented': uncommentExamples(starter), 'init --from quickstart': copyOfBundled('quickstart', 'copy', schemaUrl())});
  const errors = validate(experimentJsonSchema(), Object.values(texts).map(readYaml));
  t.deepEqual(Object.fromEntries(Object.keys(texts).map((f, i) => [f, errors[i]])), Object.fromEntries(Object.keys(texts).map((f) => [f, []])));
});

// Every case is a file that extends a complete experiment (base.yaml), as a user's file might:
// the schema checks the file alone, the loader the merged experiment.
const BASE = `name: base
question: q?
dataset: {name: synthetic, features: 4, classes: 2, train_size: 64, test_size: 32}
model: {kind: mlp, hidden: [8]}
train: {optimizer: sgd, lr: 0.1, batch_size: 16, steps: 10, eval_every: 5}
grid: {norm: [none, batch], seed: [1, 2]}
`;

/** Valid: both accept. */
const VALID = [
  'grid: {norm: [none, batch, {name: batch, momentum: 0.99, center: false}, {name: group, groups: 2}], activation: [relu, tanh], seed: [1, 2]}',
  'dataset: {train_limit: 48}', // the name comes from the parent
  'norm: {name: batch, epsilon: 0.001}\ngrid: {seed: [1]}',
  'norm: layer\nactivation: sigmoid\nseed: 3\ngrid: {}',
  'grid: {train.lr: [0.1, 0.01], model.hidden: [[4], [8, 8]], dataset.features: [4, 6]}',
  'grid: {dataset: [{name: synthetic, features: 6}, {name: synthetic, features: 8, shift: 0}], seed: [1]}',
  'grid:\n  - {norm: none, train.lr: 0.1, seed: [1, 2]}\n  - {norm: [batch, layer], train.lr: [1, 3], model.hidden: [[8, 8]]}',
  // On its own: merged with base.yaml's data set, the synthetic keys would stay.
  'extends: []\nname: rnn\nquestion: q?\nmodel: {kind: lstm, hidden: 4}\ndataset: {name: adding, length: 5, train_size: 64, test_size: 32}\ntrain: {lr: 0.1, batch_size: 16, steps: 4, eval_every: 2}\ngrid: {norm: [none, bn-rnn]}',
  'dataset: {validation: 16}\ngrid: {norm: [none, batch], seed: [1]}\ntune: {train.lr: {log_range: [0.01, 1], points: 3}, metric: val_loss_auc, seeds: [101], schedule: halving}',
  'targets: {test_accuracy: [0.5, 0.9], train_loss: 0.3}\nverify: {rtol: 1e-4, metrics: {final_test_accuracy: {atol: 0.002}}}\nprobes: [dead_units, grad_norms]\neval_modes: [ema, population]',
  'claims:\n  - {id: bn-helps, says: BN helps, metric: final_test_accuracy, than: {norm: none}, where: {norm: batch}, expect: greater, margin: 0.01}\nreport: {baseline: {norm: none}}',
];

/** Invalid: both reject; the validator at this path. */
const INVALID: Array<[string, string]> = [
  ['nmae: typo', ''],
  ['train: {batchsize: 3}', 'train'],
  ['train: {lr: fast}', 'train.lr'],
  ['train: {lr: 0}', 'train.lr'],
  ['train: {optimizer: sdg}', 'train.optimizer'],
  ['dataset: {name: mnist}', 'dataset.name'],
  ['dataset: {name: fashion-mnist-mini, features: 4}', 'dataset'], // a key of another data set
  ['model: {kind: mlp, hidden: 100}', 'model.hidden'],
  ['model: {kind: mlp, hidden: [8], layers: 2}', 'model'], // an lstm's key
  ['grid: {norm: [bacth]}', 'grid.norm.0'],
  ['grid: {norm: [{name: layer, momentum: 0.9}]}', 'grid.norm.0'],
  ['grid: {norm: []}', 'grid.norm'],
  ['grid: {seed: 1}', 'grid.seed'],
  ['grid: {activation: [rellu]}', 'grid.activation.0'],
  ['grid: {train.lrr: [0.1]}', 'grid'],
  ['grid: {dataset.name: [synthetic]}', 'grid'],
  ['grid: {train.lr: [0.1, -1]}', 'grid.train.lr.1'],
  ['grid: [{norm: bacth}]', 'grid.0.norm'],
  ['grid: [3]', 'grid.0'],
  ['grid: {model: [{kind: mlp}]}', 'grid.model.0'], // a whole entry replaces the section: it needs hidden
  ['norm: {name: batch, momentun: 0.9}', 'norm'],
  ['activation: softmax', 'activation'],
  ['extends: [base.yaml, 3]', 'extends'],
  ['claims: [{id: c, says: s, metric: final_test_accuracy, than: {norm: none}}]', 'claims.0'],
  ['claims: [{id: Bad_Id, says: s, metric: final_test_accuracy, than: {norm: none}, expect: more}]', 'claims.0.expect'],
  ['dataset: {validation: 16}\ntune: {train.steps: {values: [5, 10]}, metric: val_loss_auc, seeds: [101]}', 'tune'],
  ['dataset: {validation: 16}\ntune: {train.lr: {log_range: [0.1], points: 3}, metric: val_loss_auc, seeds: [101]}', 'tune.train.lr'],
  ['dataset: {validation: 16}\ntune: {train.lr: {values: [0.1, 0.3]}, metric: test_loss, seeds: [101]}', 'tune.metric'],
  ['probes: [dead_unit]', 'probes.0'],
  ['eval_modes: [ema, popul]', 'eval_modes.1'],
  ['targets: {test_accuracy: 1.5}', 'targets.test_accuracy'],
  ['verify: {rtol: -1}', 'verify.rtol'],
  ['report: {baseline: {norm: none}, base: 1}', 'report'],
];

/** Checks across keys or files, left to `normbench validate`: the schema accepts, the loader does not. */
const LEFT_TO_VALIDATE = [
  'dataset: {name: fashion-mnist-mini}\ngrid: {dataset.features: [4, 8]}', // which keys a grid may vary depends on the data set
  'dataset: {validation: 16}\ntune: {train.lr: {values: [0.1, 0.3]}, train.momentum: {values: [0.5, 0.9]}, metric: val_loss_auc, seeds: [101]}', // one tuned key
  'claims: [{id: c, says: s, metric: no_such_column, than: {norm: none}, expect: greater}]', // a metric the runs will not have
  'train: {lr: 0.1}\ngrid: {norm: [{name: weight, momentum: 0.5}]}', // weight norm's momentum needs mean_only
  'model: {kind: mlp, hidden: [8, 4]}\ngrid: {norm: [bn-rnn]}', // a recurrent norm in an MLP
];

/** The case as a file: it extends base.yaml, unless it says what it extends. */
const asFile = (text: string): string => (text.startsWith('extends:') ? `${text}\n` : `extends: base.yaml\n${text}\n`);

/** Whether `normbench validate` accepts the file: loaded, and its claims checked against the grid. */
function loads(file: string): boolean {
  try {
    checkGridClaims(loadExperiment(file));
    return true;
  } catch (error) {
    if (error instanceof UserError) return false;
    throw error;
  }
}

validatorTest(`the validator and the loader agree: valid files pass both, broken ones fail both, at the key${needsValidator}`, (t) => {
  const dir = tempDir('normbench-schema-');
  writeFileSync(join(dir, 'base.yaml'), BASE);
  const cases = [...VALID, ...INVALID.map(([text]) => text), ...LEFT_TO_VALIDATE];
  const errors = validate(experimentJsonSchema(), cases.map((text) => readYaml(asFile(text))));
  cases.forEach((text, i) => {
    writeFileSync(join(dir, `case-${i}.yaml`), asFile(text));
    const loaderAccepts = loads(join(dir, `case-${i}.yaml`));
    if (i < VALID.length) {
      t.deepEqual(errors[i], [], `the schema rejects a valid file:\n${text}`);
      t.true(loaderAccepts, `the loader rejects:\n${text}`);
    } else if (i < VALID.length + INVALID.length) {
      const path = INVALID[i - VALID.length]![1];
      t.true(errors[i]!.includes(path), `the schema should reject at "${path}" (errors at: ${JSON.stringify(errors[i])}):\n${text}`);
      t.false(loaderAccepts, `the loader accepts:\n${text}`);
    } else {
      t.deepEqual(errors[i], [], `the schema rejects:\n${text}`);
      t.false(loaderAccepts, `the loader accepts:\n${text}`);
    }
  });
});
