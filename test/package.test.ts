// normbench installed the way users install CLIs: `npm pack`, then `npm install -g` of the
// tarball into a temporary prefix, then used from a directory that is not the clone.
//
// backend-independent: the installed package (without the optional tfjs-node) runs on auto, wasm here.

import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from './ava.js';
import {REPO, tempDir} from './helpers.js';

test('installed from its packed tarball, normbench runs bundled experiments by name from any directory, extends them, and init points at its schema', (t) => {
  const root = tempDir('normbench-pkg-');
  const npm = (args: string[], cwd: string) => spawnSync('npm', args, {cwd, encoding: 'utf8', env: {...process.env, npm_config_loglevel: 'error'}});
  const pack = npm(['pack', '--ignore-scripts', REPO, '--pack-destination', root], root);
  t.is(pack.status, 0, pack.stderr);
  const tarball = readdirSync(root).find((f) => f.endsWith('.tgz'))!;
  const prefix = join(root, 'prefix');
  const install = npm(['install', '-g', '--prefix', prefix, join(root, tarball), '--no-audit', '--no-fund', '--omit=optional', '--prefer-offline'], root);
  t.is(install.status, 0, install.stderr);
  const bin = join(prefix, 'bin', 'normbench');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);
  const nb = (...args: string[]) => spawnSync(bin, args, {cwd: elsewhere, encoding: 'utf8'});

  const list = nb('list', 'experiments');
  t.is(list.status, 0, list.stderr);
  t.regex(list.stdout, /^ {2}quickstart +On a small real Fashion-MNIST set/m);
  // Listed by name, with its file where the package put it (absolute: not under this directory).
  t.regex(list.stdout, /^ {2} +\/\S+\/node_modules\/normbench\/experiments\/quickstart\.yaml$/m);

  const run = nb('run', 'quickstart', '--quiet', '--set', 'train.steps=10', '--set', 'grid.norm=[none]', '--set', 'grid.activation=[relu]');
  t.is(run.status, 0, run.stderr);
  t.true(existsSync(join(elsewhere, 'results', 'quickstart', 'summary.csv')));
  t.regex(run.stdout, /none +relu +ok/);

  // A local file of the same name wins, and the choice is said.
  writeFileSync(join(elsewhere, 'quickstart.yaml'), 'name: mine\nquestion: mine?\ndataset: {name: synthetic}\nmodel: {kind: mlp, hidden: [4]}\ntrain: {lr: 0.1, batch_size: 8, steps: 2, eval_every: 1}\n');
  const local = nb('validate', 'quickstart');
  t.is(local.status, 0, local.stderr);
  t.regex(local.stderr, /note: using quickstart\.yaml from this directory; the bundled experiment "quickstart" \(\S+experiments\/quickstart\.yaml\) has the same name/);
  t.regex(local.stdout, /^mine: mine\?/);

  const typo = nb('run', 'quickstrat');
  t.is(typo.status, 2);
  t.regex(typo.stderr, /quickstrat: file not found, and not a bundled experiment — did you mean the bundled experiment "quickstart"\?/);

  // init points editors at the installed package's schema, and its starter validates here.
  const init = nb('init');
  t.is(init.status, 0, init.stderr);
  const url = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(join(elsewhere, 'experiment.yaml'), 'utf8'))?.[1];
  t.is(url && fileURLToPath(url), join(prefix, 'lib', 'node_modules', 'normbench', 'schema', 'experiment.schema.json'));
  t.true(existsSync(fileURLToPath(url!)));
  const starter = nb('validate', 'experiment.yaml');
  t.is(starter.status, 0, starter.stderr);
  t.regex(starter.stdout, /= 18 runs/);

  // extends names the bundled experiments and files from here (the local quickstart.yaml is not `quickstart`).
  writeFileSync(join(elsewhere, 'mine.yaml'), 'name: mine\nquestion: q?\nextends: [quickstart, configs/models/mlp-3x100.yaml]\ntrain: {steps: 10}\n');
  const extended = nb('validate', 'mine.yaml', '--json');
  t.is(extended.status, 0, extended.stderr);
  t.like(JSON.parse(extended.stdout), {runs: 12, config: {model: {hidden: [100, 100, 100]}, train: {steps: 10}}});
});
