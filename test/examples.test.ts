// The files in examples/ are documentation that must stay true: they parse, every normbench
// command in them exists with the flags it uses, and the Slurm scripts run end to end here
// (Slurm's environment variables set by hand, `npx` standing in for the project's normbench).
//
// backend-independent: the examples parse, and the Slurm scripts run the CLI with auto (wasm for this small model).

import {spawnSync} from 'node:child_process';
import {chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {parse} from 'yaml';
import {loadExperiment} from '../src/config/load.js';
import {BIN, cliInProcess, REPO, tempDir} from './helpers.js';

const EXAMPLES = join(REPO, 'examples');

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every `normbench <command> …` in a text, with its flags (a folded YAML line counts as one). */
function invocations(text: string): Array<{command: string; flags: string[]; line: string}> {
  const joined = text.replace(/\n\s+(--)/g, ' $1');
  return [...joined.matchAll(/npx normbench ((?:data )?[a-z]+)([^\n&;|]*)/g)].map((m) => ({
    command: m[1]!,
    flags: [...m[2]!.matchAll(/(?:^|\s)--([a-z-]+)/g)].map((f) => f[1]!),
    line: m[0]!.trim(),
  }));
}

test('every example parses, and every normbench command in it exists with the flags it uses', async (t) => {
  let count = 0;
  for (const file of files(EXAMPLES).filter((f) => /\.(ya?ml|sbatch|sh)$/.test(f))) {
    const text = readFileSync(file, 'utf8');
    if (/\.ya?ml$/.test(file) && file.includes('own-data')) {
      // Your own data's example is an experiment (test/own-data.test.ts runs it).
      t.is(loadExperiment(file).expanded.runs.length, 9, `${file} is an experiment of 9 runs`);
    } else if (/\.ya?ml$/.test(file)) {
      const doc = parse(text) as Record<string, unknown>;
      t.true(file.includes('github-actions') ? 'jobs' in doc : doc.kind === 'Job', `${file} is a workflow or a Job`);
    }
    for (const {command, flags, line} of invocations(text)) {
      const module = (await import(join(REPO, 'dist', 'src', 'commands', `${command.replace(' ', '/')}.js`))) as {default: {flags?: Record<string, unknown>; enableJsonFlag?: boolean}};
      const known = [...Object.keys(module.default.flags ?? {}), ...(module.default.enableJsonFlag ? ['json'] : [])];
      for (const flag of flags) t.true(known.includes(flag), `${file}: "${line}" uses --${flag}, which ${command} does not have`);
      count++;
    }
  }
  t.true(count >= 10, `${count} normbench commands found in examples/`);
});

test('the Slurm scripts run end to end without Slurm (its variables set by hand): shards, then the merge, give the unsharded results; a mis-sized array is refused', async (t) => {
  const project = tempDir('normbench-slurm-');
  cpSync(join(EXAMPLES, 'slurm'), project, {recursive: true});
  mkdirSync(join(project, 'experiments'));
  writeFileSync(join(project, 'experiments', 'my-study.yaml'), [
    'name: my-study',
    'question: Does the Slurm example run?',
    'dataset: {name: synthetic, features: 6, classes: 3, train_size: 90, test_size: 30}',
    'model: {kind: mlp, hidden: [6]}',
    'train: {optimizer: sgd, lr: 0.1, batch_size: 10, steps: 20, eval_every: 10}',
    'grid: {norm: [none, batch, layer], activation: [relu, tanh]}',
    '',
  ].join('\n'));
  // `npx normbench …` runs this checkout's normbench.
  const bin = join(project, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = normbench ] && shift\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  const env = {...process.env, PATH: `${bin}:${process.env.PATH}`, NORMBENCH_DATA: ''};
  for (const task of ['1', '2', '3']) {
    const r = spawnSync('bash', ['shards.sbatch'], {cwd: project, encoding: 'utf8', env: {...env, SHARDS: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_ID: task}});
    t.is(r.status, 0, r.stderr);
  }
  // An array of another size than SHARDS is refused before anything trains.
  const odd = spawnSync('bash', ['shards.sbatch'], {cwd: project, encoding: 'utf8', env: {...env, SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_ID: '1'}});
  t.is(odd.status, 2);
  t.regex(odd.stderr, /this array has 3 tasks \(1-3\) but SHARDS is 8: keep them equal/);
  const merge = spawnSync('bash', ['merge.sbatch'], {cwd: project, encoding: 'utf8', env});
  t.is(merge.status, 0, merge.stderr);
  // The unsharded run and the check, in this process: the scripts above ran the real CLI.
  const whole = await cliInProcess(['run', 'experiments/my-study.yaml', '--out', 'whole', '--quiet', '--workers', '1'], project);
  t.is(whole.code, 0, whole.stderr);
  const untimed = (file: string) => readFileSync(file, 'utf8').split('\n').map((l) => l.split(',').slice(0, 9).join(','));
  t.deepEqual(untimed(join(project, 'results', 'my-study', 'curves.csv')).map((l) => l.split(',').slice(0, 5).join()),
    untimed(join(project, 'whole', 'curves.csv')).map((l) => l.split(',').slice(0, 5).join()));
  const verify = await cliInProcess(['verify', 'results/my-study', '--reference', 'whole', '--curves'], project);
  t.is(verify.code, 0, verify.stdout + verify.stderr);
  t.true(readdirSync(join(project, 'results', 'my-study')).includes('report.md'), 'the merge job reports');
});
