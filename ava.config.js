// ava's configuration. It lives here rather than in package.json because sortTestFiles is a function.
//
// Two test files run side by side (each in a process of its own; the tests of a file run one
// after another, see test/ava.ts). The slowest files start first, so that the two lanes end
// together rather than with one long file running alone at the end. The list only orders the
// files: one missing from it (a new file) runs after these, in name order. Measure with
// `npx ava --verbose` and keep the list roughly slowest first.
const SLOWEST_FIRST = [
  'stack/run-stack',
  'workers',
  'cnn-torch-curve',
  'slurm',
  'results',
  'report-html',
  'tuning',
  'identity',
  'package',
  'cli',
  'hostile',
  'cli-edges',
  'recurrent-cli',
  'examples',
  'terminal',
  'report',
  'init',
  'data/fetch',
];

const rank = (file) => {
  const i = SLOWEST_FIRST.findIndex((name) => file.endsWith(`/dist/test/${name}.test.js`));
  return i < 0 ? SLOWEST_FIRST.length : i;
};

export default {
  files: ['dist/test/**/*.test.js'],
  timeout: '5m',
  workerThreads: false,
  concurrency: 2,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b),
};
