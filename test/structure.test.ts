// The shape of src/: the layers import downwards only, no import circles, and the commands that
// only read files start without TensorFlow.js. Checked on the sources (every relative import,
// type-only ones included) and on a real process (what Node resolves while a command runs).
// backend-independent: reads src/ and dist/; the CLI commands it starts read files or probe every backend themselves.

import {spawnSync} from 'node:child_process';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join, normalize, relative} from 'node:path';
import test from './ava.js';
import {BIN, REPO, tempDir} from './helpers.js';

const SRC = join(REPO, 'src');
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gs;

function walk(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** file → the files it imports, paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8').replace(/\/\/[^\n]*/g, '');
    const targets = [...text.matchAll(IMPORT)].map((m) => relative(SRC, normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts')))));
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

/** The top-level folder of a src/ path (a file at the top is its own layer). */
const layer = (file: string) => (file.includes('/') ? file.split('/')[0]! : file.replace(/\.ts$/, ''));

/** Imports between layers that the design forbids: importer → imported. */
const FORBIDDEN: Array<[string, string]> = [
  ['results', 'train'], ['train', 'results'], ['config', 'train'], ['norms', 'config'], ['norms', 'train'],
  ['data', 'models'], ['results', 'run'], ['norms', 'models'], ['nn', 'norms'], ['results', 'config'],
  ['results', 'norms'], ['results', 'models'], ['results', 'nn'], ['train', 'run'], ['models', 'train'],
];

test('src/spec is the floor: it imports nothing outside itself', (t) => {
  const outside = [...importGraph()].filter(([f]) => f.startsWith('spec/')).flatMap(([f, to]) => to.filter((x) => !x.startsWith('spec/')).map((x) => `${f} → ${x}`));
  t.deepEqual(outside, []);
});

test('no import goes against the layers (results ↛ train, config, norms; train ↛ results; config ↛ train; norms ↛ config, train, models …)', (t) => {
  const bad = [...importGraph()].flatMap(([f, to]) => to.filter((x) => FORBIDDEN.some(([a, b]) => layer(f) === a && layer(x) === b)).map((x) => `${f} → ${x}`));
  t.deepEqual(bad, []);
});

test('no import circle among the files of src/', (t) => {
  // Tarjan's strongly connected components: a component of more than one file is a circle.
  const graph = importGraph();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do component.push((w = stack.pop()!)); while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  t.deepEqual(circles, []);
  t.true(graph.size > 50, 'the graph was read');
});

/** The packages a compiled module reaches through its static imports (dynamic import() not followed). */
function packagesReached(entry: string): Map<string, string> {
  const seen = new Set([entry]);
  const queue = [entry];
  const packages = new Map<string, string>();
  while (queue.length) {
    const file = queue.shift()!;
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        if (!packages.has(spec)) packages.set(spec, relative(REPO, file));
        continue;
      }
      const target = normalize(join(dirname(file), spec));
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return packages;
}

const FILE_ONLY = ['verify', 'report', 'merge', 'list', 'validate', 'init'];

test('the commands that only read files import no @tensorflow package, even indirectly', (t) => {
  for (const command of [...FILE_ONLY, 'run', 'backend', 'data/fetch']) {
    const reached = packagesReached(join(REPO, 'dist', 'src', 'commands', `${command}.js`));
    t.true(reached.has('@oclif/core'), `${command}: the walk follows its imports`);
    // `run` and `backend` load the trainer and tfjs inside run(), so that no command pays for it at start-up.
    const tf = [...reached].filter(([p]) => p.startsWith('@tensorflow/')).map(([p, from]) => `${p} (from ${from})`);
    t.deepEqual(tf, [], `${command} reaches tfjs statically`);
  }
});

test('a file-only command run for real resolves no @tensorflow module (oclif loads every command to list them)', (t) => {
  const dir = tempDir();
  // A resolve hook that records every @tensorflow specifier Node is asked to load.
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, "export async function resolve(spec, context, next) { if (spec.startsWith('@tensorflow/')) process.stderr.write(`TFJS-LOADED ${spec}\\n`); return next(spec, context); }\n");
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import {register} from 'node:module'; register(${JSON.stringify(new URL(`file://${hook}`).href)});\n`);
  const reference = join(REPO, 'results', 'reference', 'smoke');
  const runs: Array<[string, string[]]> = [
    ['verify', ['verify', reference, '--reference', reference]],
    ['validate', ['validate', 'smoke']],
    ['list', ['list', 'norms']],
    ['init', ['init', 'starter']],
  ];
  const node = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', register, BIN, ...args], {cwd: dir, encoding: 'utf8', timeout: 60_000});
    return {code: r.status, stderr: r.stderr};
  };
  for (const [name, args] of runs) {
    const r = node(args);
    t.false(r.stderr.includes('TFJS-LOADED'), `${name}: ${r.stderr.split('\n').filter((l) => l.includes('TFJS')).join('; ')}`);
    t.not(r.code, null, `${name} ran`);
  }
  // The hook does see tfjs when a command loads it: the check can fail.
  const backend = node(['backend']);
  t.true(backend.stderr.includes('TFJS-LOADED @tensorflow/'), 'the hook reports tfjs when it loads');
});
