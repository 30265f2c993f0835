// `normbench init`: the starter experiment and copies of bundled ones, end to end — written in a
// directory outside the clone, validated, trained (briefly) by the real CLI — and what init
// refuses to do.
//
// backend-independent: the one run names wasm.

import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from './ava.js';
import {bundledExperiments} from '../src/config/find.js';
import {SCHEMA_FILE} from '../src/config/json-schema.js';
import {loadExperiment} from '../src/config/load.js';
import {copyOfBundled, experimentName, starterFile} from '../src/config/starter.js';
import {cli, cliInProcess as nb, readCsv, REPO, tempDir, uncommentExamples} from './helpers.js';

const SCHEMA_LINE = /^# yaml-language-server: \$schema=(file:\/\/\S+)\n/;

test('init writes a commented starter that validates and trains as it is; its first line points editors at the shipped schema', (t) => {
  const dir = tempDir('normbench-init-');
  t.false(dir.startsWith(REPO));
  const init = cli(['init'], dir);
  t.is(init.code, 0, init.stderr);
  t.is(init.stdout, [
    'wrote experiment.yaml: a starter experiment, named "experiment"',
    `editors check it against ${new URL(`file://${SCHEMA_FILE}`).href}`,
    '',
    'next:',
    '  normbench validate experiment.yaml',
    '  normbench run experiment.yaml',
    '  normbench check results/experiment',
    '',
  ].join('\n'));
  const text = readFileSync(join(dir, 'experiment.yaml'), 'utf8');
  const url = SCHEMA_LINE.exec(text)?.[1];
  t.truthy(url, text.split('\n')[0]);
  t.is(fileURLToPath(url!), SCHEMA_FILE);
  t.true(existsSync(fileURLToPath(url!)));
  // Every section is there, the ones it does not use commented out.
  for (const key of ['name', 'question', 'dataset', 'model', 'train', 'grid', 'targets', 'verify', 'claims']) t.regex(text, new RegExp(`^${key}:`, 'm'), key);
  for (const key of ['extends', 'description', 'norm', 'activation', 'seed', 'probes', 'eval_modes', 'report', 'tune']) t.regex(text, new RegExp(`^# ${key}:`, 'm'), key);
  // Every key says on its line what it means, but for the sentences.
  const uncommented = text.split('\n').filter((l) => /^\s*(- )?[a-z_.]+:/.test(l) && !l.includes(' # '));
  t.deepEqual(uncommented.map((l) => l.trim().split(':')[0]), ['question', 'says']);

  const validate = cli(['validate', 'experiment.yaml'], dir);
  t.is(validate.code, 0, validate.stderr);
  t.regex(validate.stdout, /^experiment: With a sigmoid or ReLU MLP/);
  t.regex(validate.stdout, /grid: norm \(3\) × activation \(2\) × seed \(3\) = 18 runs/);

  // The whole grid, a few steps each: everything it names exists and trains.
  const run = cli(['run', 'experiment.yaml', '--set', 'train.steps=4', '--set', 'train.eval_every=2', '--quiet', '--backend', 'wasm', '--workers', '1'], dir);
  t.is(run.code, 0, run.stderr);
  const summary = readCsv(join(dir, 'results', 'experiment', 'summary.csv'));
  t.is(summary.length, 18);
  t.true(summary.every((r) => r.status === 'ok' && r.steps === '4'));
  // The claim is decided (3 seeds of 4 steps settle nothing: check says which way, not exit 2).
  const check = cli(['check', 'results/experiment'], dir);
  t.not(check.code, 2, check.stderr);
  t.regex(check.stdout, /bn-speeds-up-sigmoid/);
});

test('every example commented out in the starter is valid when uncommented, all of them at once', async (t) => {
  const dir = tempDir('normbench-init-');
  t.is((await nb(['init', 'everything'], dir)).code, 0);
  const text = uncommentExamples(readFileSync(join(dir, 'everything.yaml'), 'utf8'));
  for (const key of ['extends', 'tune', 'probes', 'eval_modes', 'report', 'norm']) t.regex(text, new RegExp(`^${key}:`, 'm'), key);
  writeFileSync(join(dir, 'everything.yaml'), text);
  const r = await nb(['validate', 'everything.yaml', '--json'], dir);
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as {runs: number; tuning: {key: string}; config: {dataset: {validation: number; standardize: boolean}; train: {clip_norm: number}}};
  t.is(json.runs, 36); // the grid's train.batch_size example doubles it
  t.is(json.tuning.key, 'train.lr');
  t.is(json.config.dataset.validation, 0.1);
  t.is(json.config.dataset.standardize, true);
  t.is(json.config.train.clip_norm, 1);
});

test('init refuses to overwrite a file (exit 2, nothing changed) unless --force; --json says what was written', async (t) => {
  const dir = tempDir('normbench-init-');
  writeFileSync(join(dir, 'mine.yaml'), 'my own work\n');
  const refused = await nb(['init', 'mine'], dir);
  t.is(refused.code, 2);
  t.is(refused.stderr, 'error: mine.yaml: already exists; init does not overwrite it (--force replaces it, or give another name: normbench init NAME)\n');
  t.is(refused.stdout, '');
  t.is(readFileSync(join(dir, 'mine.yaml'), 'utf8'), 'my own work\n');
  const json = await nb(['init', 'mine.yaml', '--json'], dir);
  t.is(json.code, 2);
  t.like(JSON.parse(json.stdout).error, {code: 'conflict', file: 'mine.yaml', exit_code: 2});

  const forced = await nb(['init', 'mine', '--force', '--json'], dir);
  t.is(forced.code, 0, forced.stderr);
  t.deepEqual(JSON.parse(forced.stdout), {
    file: 'mine.yaml', name: 'mine', schema: new URL(`file://${SCHEMA_FILE}`).href, replaced: true,
    next: ['normbench validate mine.yaml', 'normbench run mine.yaml', 'normbench check results/mine'],
  });
  t.regex(readFileSync(join(dir, 'mine.yaml'), 'utf8'), /^name: mine +#/m);

  mkdirSync(join(dir, 'adir.yaml'));
  const directory = await nb(['init', 'adir.yaml', '--force'], dir);
  t.is(directory.code, 2);
  t.regex(directory.stderr, /adir\.yaml: is a directory; give a file name/);
});

test('init NAME: a .yaml or .yml name is kept, another gets .yaml; the experiment is named after the file; folders are made', async (t) => {
  t.is(starterFile(undefined), 'experiment.yaml');
  t.is(starterFile('bn'), 'bn.yaml');
  t.is(starterFile('bn.yml'), 'bn.yml');
  t.is(starterFile('BN.YAML'), 'BN.YAML');
  t.is(starterFile(undefined, 'quickstart'), 'quickstart.yaml');
  t.is(starterFile('mine', 'quickstart'), 'mine.yaml');
  t.is(experimentName('exps/BN Sigmoid.yaml'), 'bn-sigmoid');
  t.is(experimentName('_x.yml'), 'x');
  t.is(experimentName('---.yaml'), 'experiment');
  const dir = tempDir('normbench-init-');
  const r = await nb(['init', 'exps/My Run.yml'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^wrote exps\/My Run\.yml: a starter experiment, named "my-run"/);
  t.regex(r.stdout, /normbench validate 'exps\/My Run\.yml'/);
  t.is((await nb(['validate', 'exps/My Run.yml'], dir)).code, 0);
});

test('init --from copies a bundled experiment to edit anywhere: each one validates as the original does, but for its name', (t) => {
  const dir = tempDir('normbench-init-');
  for (const bundled of bundledExperiments()) {
    const text = copyOfBundled(bundled, 'copy', 'file:///schema.json');
    t.true(text.startsWith('# yaml-language-server: $schema=file:///schema.json\n'), bundled);
    writeFileSync(join(dir, `${bundled}.yaml`), text);
    const copy = loadExperiment(join(dir, `${bundled}.yaml`));
    const original = loadExperiment(join(REPO, 'experiments', `${bundled}.yaml`));
    t.is(copy.config.name, 'copy');
    t.deepEqual({...copy.config, name: original.config.name}, original.config, bundled);
    t.deepEqual(copy.expanded.runs.map((r) => r.run_id), original.expanded.runs.map((r) => r.run_id), bundled);
    // Only the name and the extends paths changed: comments and layout are the original's.
    const changed = (a: string, b: string) => a.split('\n').filter((l, i) => l !== b.split('\n')[i]);
    const body = text.split('\n').slice(2).join('\n');
    t.true(changed(body, readFileSync(join(REPO, 'experiments', `${bundled}.yaml`), 'utf8')).every((l) => /^(name: copy|\s*- configs\/|extends: configs\/)/.test(l)), bundled);
  }
});

test('init --from: the copy is written under its own name by default; an unknown name gets the nearest (exit 2)', async (t) => {
  const dir = tempDir('normbench-init-');
  const r = await nb(['init', '--from', 'smoke'], dir);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^wrote smoke\.yaml: a copy of the bundled experiment "smoke", named "smoke"/);
  t.regex(readFileSync(join(dir, 'smoke.yaml'), 'utf8'), /^extends:\n {2}- configs\/datasets\/fashion-mnist-mini\.yaml\n/m);
  // A local file of a bundled experiment's name wins, and validate says so.
  const validate = await nb(['validate', 'smoke'], dir);
  t.is(validate.code, 0, validate.stderr);
  t.regex(validate.stderr, /note: using smoke\.yaml from this directory/);

  const typo = await nb(['init', '--from', 'quikstart'], dir);
  t.is(typo.code, 2);
  t.regex(typo.stderr, /^error: --from: Unknown bundled experiment "quikstart" — did you mean "quickstart"\? \(known: bn-activations, /);
  t.false(existsSync(join(dir, 'quikstart.yaml')));
});
