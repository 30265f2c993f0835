// The shipped Slurm example (examples/slurm) on a real single-node Slurm: munged, slurmctld and
// slurmd started here on localhost from a configuration this file writes under a temporary
// directory (its own ports, state, spool, logs and munge socket), and stopped at the end. The
// scripts are submitted unchanged with sbatch, in a project laid out as a user's would be
// (`npx normbench` resolving to this checkout through node_modules); the experiment is given
// through their documented variable (EXPERIMENT's default path). Two paths:
//   1. ./submit.sh: the array of 8 shards, then the merge job (afterok): the merged results
//      verify, curve point by curve point, against an unsharded run, the merge job's report
//      exists, and every task's log holds normbench's lines for its shard;
//   2. one task cancelled mid-shard (scancel of one index, after its first run of two): the
//      merge never starts (Slurm holds it, DependencyNeverSatisfied); submitting that index
//      again resumes its directory, then the merge completes the study, and nothing that had
//      finished trained again.
// Where the daemons cannot start (not root, Slurm or munge not installed, a daemon that does
// not come up), the test is skipped and its title says why. .ci/run installs slurm-wlm and munge.
//
// backend-independent: the jobs' CLI runs pick their own backend (auto: wasm for this small model).

import {spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {hostname} from 'node:os';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import test from './ava.js';
import {cli, REPO, tempDir} from './helpers.js';

const EXAMPLE = join(REPO, 'examples', 'slurm');

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], {encoding: 'utf8'}).status === 0;

/** Two free TCP ports for slurmctld and slurmd, found synchronously (a child process asks the kernel). */
function freePorts(): [number, number] {
  const script = `const net=require('net');const a=net.createServer().listen(0,()=>{const b=net.createServer().listen(0,()=>{console.log(a.address().port+' '+b.address().port);a.close();b.close();});});`;
  const out = spawnSync(process.execPath, ['-e', script], {encoding: 'utf8'}).stdout.trim().split(' ').map(Number);
  return [out[0]!, out[1]!];
}

interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
  stop(): void;
}

/** Start munged, slurmctld and slurmd; a reason when they cannot run here. */
function startCluster(): Cluster | string {
  if (process.getuid?.() !== 0) return 'not root: slurmd runs jobs as root here (SlurmUser=root)';
  const missing = ['munged', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'].filter((c) => !which(c));
  if (missing.length) return `not installed: ${missing.join(', ')} (apt-get install slurm-wlm munge)`;
  // Unix sockets want a short path: a directory of our own under /tmp, not the tests' TMPDIR.
  const dir = spawnSync('mktemp', ['-d', '/tmp/nb-slurm-XXXXXX'], {encoding: 'utf8'}).stdout.trim();
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d));
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), {mode: 0o600});
  const socket = join(dir, 'munge.sock');
  const host = hostname().split('.')[0]!;
  const [ctldPort, dPort] = freePorts();
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    'ClusterName=normbench-test',
    `SlurmctldHost=${host}`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${dPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    `AuthInfo=socket=${socket}`,
    'CredType=cred/munge',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'MpiDefault=none',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core_Memory',
    'ReturnToService=2',
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'JobCompType=jobcomp/none',
    // The example asks for --mem=4G; the node states what it has whatever the host has.
    'SlurmdParameters=config_overrides',
    `NodeName=${host} CPUs=2 RealMemory=8000 State=UNKNOWN`,
    `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n'));
  const env = {...process.env, SLURM_CONF: conf};
  const pidOf = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined);
  const stop = () => {
    spawnSync('scontrol', ['shutdown'], {env, encoding: 'utf8', timeout: 10_000});
    for (const file of ['slurmd.pid', 'slurmctld.pid', 'munged.pid']) {
      const pid = pidOf(join(dir, file));
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    // Wait for every daemon to be gone, so that nothing is left running.
    for (let i = 0; i < 50; i++) {
      const alive = ['slurmd.pid', 'slurmctld.pid', 'munged.pid'].map((f) => pidOf(join(dir, f))).filter((pid) => pid && existsSync(`/proc/${pid}`));
      if (alive.length === 0) break;
      sleep(100);
    }
    rmSync(dir, {recursive: true, force: true});
  };
  const started = (what: string, r: ReturnType<typeof spawnSync>) => (r.status === 0 ? undefined : `${what} did not start (exit ${r.status}): ${String(r.stderr).trim().split('\n').pop()}`);
  const fail = started('munged', spawnSync('munged', ['-f', `--socket=${socket}`, `--key-file=${key}`, `--log-file=${dir}/log/munged.log`, `--pid-file=${dir}/munged.pid`, `--seed-file=${dir}/munged.seed`], {encoding: 'utf8'}))
    ?? started('slurmctld', spawnSync('slurmctld', ['-i'], {env, encoding: 'utf8'}))
    ?? started('slurmd', spawnSync('slurmd', [], {env, encoding: 'utf8'}));
  if (fail) {
    stop();
    return fail;
  }
  for (let i = 0; i < 100; i++) {
    const state = spawnSync('sinfo', ['-h', '-o', '%T'], {env, encoding: 'utf8'}).stdout.trim();
    if (state === 'idle') return {dir, env, stop};
    sleep(200);
  }
  const log = readFileSync(join(dir, 'log', 'slurmd.log'), 'utf8').trim().split('\n').slice(-3).join(' / ');
  stop();
  return `the node did not come up idle within 20 s (slurmd: ${log})`;
}

const cluster = startCluster();
if (typeof cluster !== 'string') test.after.always(() => cluster.stop());

const EXPERIMENT = [
  'name: my-study',
  'question: Do the shipped Slurm scripts run a study on a real Slurm?',
  'dataset: {name: synthetic, features: 6, classes: 3, train_size: 90, test_size: 30}',
  'model: {kind: mlp, hidden: [6]}',
  'train: {optimizer: sgd, lr: 0.1, batch_size: 10, steps: 20, eval_every: 10}',
  'grid: {norm: [none, batch], activation: [relu, tanh], seed: [1, 2]}',
  '',
].join('\n');

/** A user's project: the example's three files unchanged, the experiment at its default path, normbench installed. */
function project(experiment = EXPERIMENT): string {
  const dir = tempDir('normbench-slurm-');
  for (const f of readdirSync(EXAMPLE)) cpSync(join(EXAMPLE, f), join(dir, f));
  mkdirSync(join(dir, 'experiments'));
  writeFileSync(join(dir, 'experiments', 'my-study.yaml'), experiment);
  writeFileSync(join(dir, 'package.json'), '{"name": "my-study", "private": true}\n');
  mkdirSync(join(dir, 'node_modules', '.bin'), {recursive: true});
  symlinkSync(REPO, join(dir, 'node_modules', 'normbench'));
  symlinkSync('../normbench/bin/run.js', join(dir, 'node_modules', '.bin', 'normbench'));
  return dir;
}

/** A job's state and, while pending, its reason: `scontrol show job`, one line per array task. */
function jobStates(env: NodeJS.ProcessEnv, id: string): Array<{id: string; state: string; reason: string}> {
  const r = spawnSync('scontrol', ['-o', 'show', 'job', id], {env, encoding: 'utf8'});
  return r.stdout.trim().split('\n').filter(Boolean).map((line) => ({
    id: /JobId=(\d+)/.exec(line)?.[1] ?? '',
    state: /JobState=(\S+)/.exec(line)?.[1] ?? '',
    reason: /Reason=(\S+)/.exec(line)?.[1] ?? '',
  }));
}

/** Wait until `done` holds for the jobs' states (polling scontrol), at most `seconds`. */
function waitFor(env: NodeJS.ProcessEnv, ids: string[], done: (states: ReturnType<typeof jobStates>) => boolean, seconds = 240) {
  let states: ReturnType<typeof jobStates> = [];
  for (let i = 0; i < seconds * 4; i++) {
    states = ids.flatMap((id) => jobStates(env, id));
    if (states.length && done(states)) return states;
    sleep(250);
  }
  throw new Error(`jobs ${ids.join(', ')} still ${JSON.stringify(states)} after ${seconds} s`);
}

const finished = (s: {state: string}) => ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL'].includes(s.state);

/** The unsharded run of the same experiment, and the check that the merged results equal it. */
function verifyAgainstWhole(t: ExecutionContext, dir: string) {
  const whole = cli(['run', 'experiments/my-study.yaml', '--out', 'whole', '--quiet', '--workers', '1'], dir);
  t.is(whole.code, 0, whole.stderr);
  const verify = cli(['verify', 'results/my-study', '--reference', 'whole', '--curves'], dir);
  t.is(verify.code, 0, verify.stdout + verify.stderr);
}

if (typeof cluster === 'string') {
  test.skip(`the shipped Slurm scripts on a real slurmctld/slurmd — skipped here: ${cluster}`, () => {});
} else {
  const {env} = cluster;

  test('the shipped Slurm scripts on a real slurmctld/slurmd: ./submit.sh runs 8 shards then the merge, which equals an unsharded run', (t) => {
    const dir = project();
    const submit = spawnSync('bash', ['submit.sh'], {cwd: dir, env, encoding: 'utf8'});
    t.is(submit.status, 0, submit.stderr);
    const [, array, merge] = /shards: job (\d+); merge: job (\d+), after every shard succeeded/.exec(submit.stdout) ?? [];
    t.truthy(array && merge, submit.stdout);
    const states = waitFor(env, [array!, merge!], (s) => s.every(finished));
    t.deepEqual(states.map((s) => s.state), Array(9).fill('COMPLETED'), JSON.stringify(states));
    verifyAgainstWhole(t, dir);
    t.true(existsSync(join(dir, 'results', 'my-study', 'report.md')), 'the merge job wrote the report');
    // Every task's log: normbench's lines for its own shard, plain (no terminal).
    const logs = readdirSync(join(dir, 'logs'));
    for (let i = 1; i <= 8; i++) {
      const log = readFileSync(join(dir, 'logs', `normbench-${array}_${i}.log`), 'utf8');
      t.regex(log, new RegExp(`shard ${i}/8`), `task ${i}: ${log}`);
      t.regex(log, /results in .*results\/my-study-shards\//, `task ${i}`);
      t.notRegex(log, /\u001b\[/, 'no terminal escapes in a log');
    }
    const mergeLog = readFileSync(join(dir, 'logs', `normbench-merge-${merge}.log`), 'utf8');
    t.regex(mergeLog, /merged 8 directories: 8 runs → \S*\/results\/my-study\n/, mergeLog);
    t.is(logs.length, 9);
  });

  test('a task cancelled mid-shard: the merge never starts; that index submitted again resumes its shard, then the merge completes the study without retraining anything finished', (t) => {
    // Four runs a shard (two at a time: each task has 2 CPUs, so 2 workers), long enough that
    // task 1 can be cancelled after its first run ends and before its last.
    const dir = project(EXPERIMENT.replace('seed: [1, 2]', 'seed: [1, 2, 3, 4, 5, 6, 7, 8]').replace('steps: 20, eval_every: 10', 'steps: 600, eval_every: 200'));
    const submit = spawnSync('bash', ['submit.sh'], {cwd: dir, env, encoding: 'utf8'});
    t.is(submit.status, 0, submit.stderr);
    const [, array, merge] = /shards: job (\d+); merge: job (\d+)/.exec(submit.stdout) ?? [];
    const log1 = join(dir, 'logs', `normbench-${array}_1.log`);
    const firstDone = () => existsSync(log1) && /ok · test acc/.test(readFileSync(log1, 'utf8'));
    for (let i = 0; i < 1200 && !firstDone(); i++) sleep(50);
    t.true(firstDone(), `task 1 finished a run: ${existsSync(log1) ? readFileSync(log1, 'utf8') : 'no log yet'}`);
    const cancel = spawnSync('scancel', [`${array}_1`], {env, encoding: 'utf8'});
    t.is(cancel.status, 0, cancel.stderr);
    // The other 7 finish; the merge stays pending: its dependency can never be satisfied.
    const tasks = waitFor(env, [array!], (s) => s.length === 8 && s.every(finished));
    t.deepEqual(tasks.map((s) => s.state).sort(), ['CANCELLED', ...Array(7).fill('COMPLETED')], JSON.stringify(tasks));
    const held = waitFor(env, [merge!], (s) => s[0]!.reason === 'DependencyNeverSatisfied', 30);
    t.is(held[0]!.state, 'PENDING');
    t.false(existsSync(join(dir, 'results', 'my-study')), 'the merge did not run');
    // Shard 1 stopped cleanly on Slurm's SIGTERM: its first run committed, the directory interrupted.
    const shard1 = JSON.parse(readFileSync(join(dir, 'results', 'my-study-shards', '1', 'manifest.json'), 'utf8')) as {state: string; runs: Record<string, unknown>};
    t.is(shard1.state, 'interrupted', readFileSync(log1, 'utf8'));
    const kept = Object.keys(shard1.runs).length;
    t.true(kept >= 1 && kept < 4, `${kept} of the shard's 4 runs finished`);
    t.regex(readFileSync(log1, 'utf8'), /SIGTERM/);
    spawnSync('scancel', [merge!], {env});
    const before = Object.fromEntries([2, 3, 4, 5, 6, 7, 8].map((i) => {
      const m = join(dir, 'results', 'my-study-shards', String(i), 'manifest.json');
      return [i, {mtime: statSync(m).mtimeMs, text: readFileSync(m, 'utf8')}];
    }));
    // What the README says to type: the failed index alone, then the merge after it.
    const again = spawnSync('sbatch', ['--parsable', '--array=1', 'shards.sbatch'], {cwd: dir, env, encoding: 'utf8'});
    t.is(again.status, 0, again.stderr);
    const retry = again.stdout.trim();
    const merge2 = spawnSync('sbatch', ['--parsable', `--dependency=afterok:${retry}`, 'merge.sbatch'], {cwd: dir, env, encoding: 'utf8'});
    t.is(merge2.status, 0, merge2.stderr);
    const states = waitFor(env, [retry, merge2.stdout.trim()], (s) => s.every(finished));
    t.deepEqual(states.map((s) => s.state), ['COMPLETED', 'COMPLETED'], JSON.stringify(states));
    const retried = readFileSync(join(dir, 'logs', `normbench-${retry}_1.log`), 'utf8');
    t.regex(retried, new RegExp(`shard 1/8: 4 of the grid's 32 runs .*\\(resuming: ${kept} already done\\)`), retried);
    t.is(retried.match(/ok · test acc/g)?.length, 4 - kept, 'only the unfinished runs trained');
    for (const [i, was] of Object.entries(before)) {
      const m = join(dir, 'results', 'my-study-shards', i, 'manifest.json');
      t.is(statSync(m).mtimeMs, was.mtime, `shard ${i} untouched`);
      t.is(readFileSync(m, 'utf8'), was.text);
    }
    verifyAgainstWhole(t, dir);
  });
}

