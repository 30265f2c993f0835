// The CLI at its edges: errors under --json, every error of a file in one report, bad paths, and
// the surprises a user should never meet silently. Through the real binary where the process
// matters (stdout and stderr of a JSON error, a hang, another user); the rest run the same
// commands in this process (helpers' cliInProcess).
//
// backend-independent: CLI runs on cpu or auto (wasm for these small models), and bad input refused before any training.

import {spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {cli, cliInProcess as nb, REPO, tempDir} from './helpers.js';

const TINY = `name: tiny
question: Does the harness run end to end?
dataset: {name: synthetic, features: 8, classes: 3, train_size: 120, test_size: 60}
model: {kind: mlp, hidden: [8, 8]}
train: {optimizer: sgd, lr: 0.2, batch_size: 12, steps: 20, eval_every: 10}
grid:
  norm: [none, batch]
  activation: [relu, tanh]
`;

function workdir(files: Record<string, string> = {'tiny.yaml': TINY}): string {
  const dir = tempDir('normbench-edges-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('--json: bad input prints a JSON error object on stdout and the human message on stderr, exit 2', (t) => {
  const dir = workdir({'bad.yaml': TINY.replace('optimizer: sgd', 'optimizer: sdg')});
  const r = cli(['run', 'bad.yaml', '--json', '--out', 'never'], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /^error: bad\.yaml:5:20 \(train\.optimizer\): Unknown optimizer "sdg" — did you mean "sgd"\?/m);
  const json = JSON.parse(r.stdout);
  t.deepEqual(json.error, {
    code: 'config', message: 'Unknown optimizer "sdg" — did you mean "sgd"? (known: sgd, momentum, adam, rmsprop)',
    file: 'bad.yaml', line: 5, column: 20, key: 'train.optimizer', exit_code: 2,
  });
  t.is(json.errors.length, 1);
  t.false(existsSync(join(dir, 'never')));
});

test('--json: path and usage errors are JSON too, never a bare errno object', async (t) => {
  const dir = workdir();
  writeFileSync(join(dir, 'afile'), 'x');
  const path = await nb(['run', 'tiny.yaml', '--json', '--out', 'afile'], dir);
  t.is(path.code, 2);
  t.like(JSON.parse(path.stdout).error, {code: 'path', message: '--out afile: is a file, not a directory', file: null, line: null});
  t.regex(path.stderr, /^error: --out afile: is a file, not a directory$/m);
  const usage = await nb(['run', 'tiny.yaml', '--json', '--backend', 'gpu'], dir);
  t.is(usage.code, 2);
  t.is(JSON.parse(usage.stdout).error.code, 'usage');
  t.regex(JSON.parse(usage.stdout).error.message, /Expected --backend=gpu to be one of: auto, tensorflow, wasm, cpu/);
  const missing = await nb(['validate', 'nope.yaml', '--json'], dir);
  t.is(missing.code, 2);
  t.like(JSON.parse(missing.stdout).error, {code: 'path', file: 'nope.yaml'});
});

test('every error of a file and its extends parents comes in one report, in file order', async (t) => {
  const dir = workdir({
    'parent.yaml': 'train: {optimizer: sgd, lr: 0.1, batch_size: 12, steps: 20, eval_every: 10, momentun: 0.9}\n',
    'typos.yaml': [
      'name: typos',
      'question: three typos, a bad norm and a bad activation',
      'extends: parent.yaml',
      'dataset: {name: synthetic, featurs: 8}',
      'model: {kind: mlp, hiden: [8]}',
      'grid:',
      '  norm: [bacth, none]',
      '  activation: [rellu]',
      '',
    ].join('\n'),
  });
  const r = await nb(['validate', 'typos.yaml', '--json'], dir);
  t.is(r.code, 2);
  const {errors} = JSON.parse(r.stdout) as {errors: Array<{file: string; line: number; column: number; key: string; message: string}>};
  t.deepEqual(errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.key}`), [
    'parent.yaml:1:77 train.momentun',
    'typos.yaml:4:28 dataset.featurs',
    'typos.yaml:5:20 model.hiden',
    'typos.yaml:7:10 grid.norm[0]',
    'typos.yaml:8:16 grid.activation[0]',
  ]);
  t.regex(errors[0]!.message, /did you mean "momentum"/);
  t.regex(errors[2]!.message, /did you mean "hidden"/);
  // The typo is reported once, not also as a missing `hidden`.
  t.false(r.stderr.includes('missing required key'));
  t.is(r.stderr.split('\n').filter((l) => /^(error: )?typos\.yaml|^(error: )?parent\.yaml/.test(l)).length, 5, r.stderr);
});

test('YAML errors of several files are reported together; extends errors name the referencing file, line and column', async (t) => {
  const dir = workdir({
    'main.yaml': 'name: m\nquestion: q\nextends: [missing.yaml, sub, broken.yaml]\n',
    'broken.yaml': 'a: 1\na: 2\nb: [1\n',
  });
  mkdirSync(join(dir, 'sub'));
  const r = await nb(['validate', 'main.yaml', '--json'], dir);
  t.is(r.code, 2);
  const errors = JSON.parse(r.stdout).errors as Array<{code: string; file: string; line: number; column: number; message: string}>;
  t.deepEqual(errors.map((e) => [e.code, `${e.file}:${e.line}:${e.column}`]), [
    ['yaml', 'broken.yaml:2:1'],
    ['yaml', 'broken.yaml:4:1'],
    ['path', 'main.yaml:3:11'],
    ['path', 'main.yaml:3:25'],
  ]);
  t.regex(errors[0]!.message, /duplicate key "a"/);
  t.regex(errors[2]!.message, /`extends` names "missing\.yaml", which does not exist/);
  t.regex(errors[3]!.message, /`extends` names "sub", which is a directory, not an experiment file/);
});

test('bad --out paths: exit 2, a message, nothing written, and never a hang', (t) => {
  const dir = workdir();
  writeFileSync(join(dir, 'afile'), 'x');
  const cases: Array<[string, RegExp]> = [
    ['afile', /--out afile: is a file, not a directory/],
    ['afile/sub', /--out afile\/sub: \S*afile is a file, not a directory/],
    ['', /--out is empty/],
    ['/proc/normbench/x', /--out \/proc\/normbench\/x: cannot create \/proc\/normbench: directories cannot be created there/],
  ];
  for (const [out, message] of cases) {
    const r = cli(['run', 'tiny.yaml', '--out', out, '--quiet'], dir, {timeout: 20_000});
    t.is(r.code, 2, `${out}: ${r.stderr}`);
    t.regex(r.stderr, message);
    t.false(r.stderr.includes('    at '), 'no stack trace');
  }
  t.deepEqual(readdirSync(dir).sort(), ['afile', 'tiny.yaml'], 'nothing written');
});

test('an unwritable --out (EACCES) is bad input, checked before any training', (t) => {
  // The CLI runs as another user here, who must be able to reach the directory: /tmp, not a
  // private $TMPDIR.
  const dir = mkdtempSync('/tmp/normbench-eacces-');
  t.teardown(() => rmSync(dir, {recursive: true, force: true}));
  writeFileSync(join(dir, 'tiny.yaml'), TINY);
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  chmodSync(dir, 0o777);
  // Root passes every permission check, so run the CLI as `nobody` when the tests run as root.
  const uid = process.getuid?.() === 0 ? 65534 : undefined;
  chmodSync(join(dir, 'tiny.yaml'), 0o644);
  for (const out of ['locked', 'locked/new']) {
    const r = cli(['run', 'tiny.yaml', '--out', out, '--quiet', '--backend', 'cpu'], dir, {uid});
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, out === 'locked' ? /--out locked: cannot write there: permission denied/ : /--out locked\/new: cannot create \S*locked\/new: permission denied/);
  }
  t.deepEqual(readdirSync(locked), []);
});

test('--data-dir must exist; the manifest records where each data set was read from', async (t) => {
  const dir = workdir();
  const r = await nb(['run', 'tiny.yaml', '--data-dir', 'nowhere', '--out', 'never'], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /--data-dir nowhere: no such directory/);
  t.false(existsSync(join(dir, 'never')));
  writeFileSync(join(dir, 'mini.yaml'), TINY.replace(/^dataset: .*$/m, 'dataset: {name: fashion-mnist-mini, train_limit: 120, test_limit: 60}').replace('[8, 8]', '[8]'));
  mkdirSync(join(dir, 'data'));
  const ok = await nb(['run', 'mini.yaml', '--out', 'm', '--quiet', '--data-dir', 'data', '--set', 'grid.norm=[none]', '--set', 'grid.activation=[relu]'], dir);
  t.is(ok.code, 0, ok.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'm', 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.data, {'fashion-mnist-mini': join(REPO, 'data', 'fashion-mnist-mini')});
});

test('--set of a key the grid varies is an error naming the grid entry; --set values with YAML syntax errors say so', async (t) => {
  const dir = workdir({'g.yaml': `${TINY}  train.lr: [0.1, 0.5]\n`});
  const shadowed = await nb(['validate', 'g.yaml', '--set', 'train.lr=0.05'], dir);
  t.is(shadowed.code, 2);
  t.regex(shadowed.stderr, /--set \(train\.lr\): the grid varies train\.lr \(at g\.yaml:9:3\), so this value would be ignored; change the grid instead: --set grid\.train\.lr=\[…\]/);
  const syntax = await nb(['validate', 'g.yaml', '--set', 'model.hidden=[1,2'], dir);
  t.is(syntax.code, 2);
  t.regex(syntax.stderr, /--set \(model\.hidden\): the value "\[1,2" is not valid YAML: Flow sequence must end with a \]/);
});

test('small surprises: an optionless norm says so, a single target value works, validate shows grid factors as such', async (t) => {
  const dir = workdir({'s.yaml': `${TINY.replace('norm: [none, batch]', 'norm: [{name: none, epsilon: 1e-3}, batch]')}`});
  const r = await nb(['validate', 's.yaml'], dir);
  t.is(r.code, 2);
  t.regex(r.stderr, /s\.yaml:7:23 \(grid\.norm\[0\]\.epsilon\): norm "none" takes no options \(got "epsilon"\)/);
  writeFileSync(join(dir, 'one.yaml'), `${TINY}  train.lr: [0.1, 0.5]\ntargets: {train_loss: 0.5, test_accuracy: 0.6}\n`);
  const v = await nb(['validate', 'one.yaml', '--json'], dir);
  t.is(v.code, 0, v.stderr);
  const json = JSON.parse(v.stdout);
  t.deepEqual(json.config.targets, {train_loss: [0.5], test_accuracy: [0.6]});
  t.deepEqual(json.grid[1].factors, {'train.lr': 0.5}, 'grid factors keep their YAML types');
  const text = await nb(['validate', 'one.yaml'], dir);
  t.regex(text.stdout, /optimizer sgd lr \[0\.1, 0\.5\] \(grid\) · batch 12 · steps 20/);
});

test('the table and the JSON use the files\' number formats: nan and inf spelled out, lr stays a number', async (t) => {
  const dir = workdir();
  const r = await nb(['run', 'tiny.yaml', '--out', 'd', '--quiet', '--set', 'train.lr=1e30', '--set', 'grid.norm=[none]', '--set', 'grid.activation=[relu]', '--set', 'grid.train.batch_size=[12]'], dir);
  t.is(r.code, 0, r.stderr);
  t.false(/NaN|Infinity|e\+\d\d/.test(r.stdout), r.stdout);
  t.regex(r.stdout, /diverged +— +— +— +—|diverged.*(nan|inf)/);
  const json = await nb(['run', 'tiny.yaml', '--out', 'j', '--json', '--quiet', '--workers', '1', '--set', 'grid.train.lr=[0.5]', '--set', 'grid.norm=[none]'], dir);
  t.is(json.code, 0, json.stderr);
  t.is(JSON.parse(json.stdout).runs[0]['train.lr'], 0.5);
  const manifest = JSON.parse(readFileSync(join(dir, 'j', 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.runs[0].factors, {'train.lr': 0.5});
});

test('typos in a command or a flag get the nearest name and the list, exit 2', async (t) => {
  const dir = tempDir('normbench-typos-');
  const command = cli(['runn', 'quickstart'], dir);
  t.is(command.code, 2);
  t.regex(command.stderr, /^error: "runn" is not a normbench command — did you mean "run"\? \(commands: backend, check, data fetch, init, list, merge, report, run, validate, verify; normbench --help\)$/m);
  const nested = cli(['data', 'fetchh', 'fashion-mnist'], dir);
  t.is(nested.code, 2);
  t.regex(nested.stderr, /"data fetchh" is not a normbench command — did you mean "data fetch"\?/);
  const flag = await nb(['run', 'quickstart', '--ouput', 'x'], dir);
  t.is(flag.code, 2);
  t.regex(flag.stderr, /^error: Nonexistent flag: --ouput — did you mean "--out"\? \(flags of this command: --set, --out, /m);
  t.false(existsSync(join(dir, 'x')), 'nothing written');
});

test('--set takes one value each: `validate --set k=v <experiment>` reads the experiment as the argument', async (t) => {
  const r = await nb(['validate', '--set', 'train.steps=10', '--set', 'grid.seed=[1,2]', 'quickstart', '--json'], tempDir('normbench-set-'));
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  t.is(json.config.train.steps, 10);
  t.is(json.runs, 24);
});

test('the bench script: --help lists every option with its default; a mistake is one line and exit 2', (t) => {
  const bench = (...args: string[]) => spawnSync(process.execPath, [join(REPO, 'scripts', 'bench.mjs'), ...args], {encoding: 'utf8', cwd: REPO, timeout: 30_000});
  const help = bench('--help');
  t.is(help.status, 0, help.stderr);
  t.regex(help.stdout, /^USAGE\n {2}\$ npm run bench -- \[--workload mlp\|lstm\|cnn\]/m);
  for (const option of ['workload', 'norm', 'activation', 'batch', 'width', 'steps', 'repeats', 'backend', 'json', 'grid', 'seeds', 'workers', 'stack', 'reference']) {
    t.regex(help.stdout, new RegExp(`^ {2}--${option}(=<[^>]+>)? +[A-Z]`, 'm'), `--${option} with a description`);
  }
  t.regex(help.stdout, /--steps=<n> +Timed steps per measurement, after 20 warm-up steps \[default: 300\s+\(mlp\), 50 \(lstm, cnn\)\]/);
  const cases: Array<[string[], RegExp]> = [
    [['--nrom', 'batch'], /^error: unknown option --nrom — did you mean "--norm"\? \(options: --backend, .*; npm run bench -- --help\)\n$/],
    [['--workload', 'gru'], /^error: --workload takes mlp or lstm or cnn, got "gru" \(npm run bench -- --help\)\n$/],
    [['--steps'], /^error: --steps needs a value/],
    [['--seeds', '1,x'], /^error: --seeds takes positive integers separated by commas, got "1,x"/],
    [['quickstart'], /^error: unexpected argument quickstart/],
  ];
  for (const [args, message] of cases) {
    const r = bench(...args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
    t.false(r.stderr.includes('    at '), 'no stack');
  }
});
