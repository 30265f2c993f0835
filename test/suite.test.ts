// The test suite's own rules: the ones CI relies on (.ci/run), and the one that lets ava run the
// test files side by side (ava.config.js) without the tests of one file overlapping.
//
// backend-independent: reads the test files; no tensors.

import {readdirSync, readFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import test from './ava.js';
import {REPO} from './helpers.js';

const TEST_DIR = join(REPO, 'test');

function testFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(join(dir, e.name));
    return e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [];
  });
}

/** The marker .ci/run looks for (`grep '^// backend-independent:'`): such files run on one backend only. */
const MARKER = /^\/\/ backend-independent: \S/m;

test('a file marked backend-independent never sets up or reads the test backend', (t) => {
  // (This file names the words it looks for, and is left out.)
  const marked = testFiles(TEST_DIR).filter((file) => !file.endsWith('suite.test.ts') && MARKER.test(readFileSync(file, 'utf8')));
  t.true(marked.length > 0, 'some files are marked');
  for (const file of marked) {
    const code = readFileSync(file, 'utf8').replace(MARKER, '');
    for (const word of ['setupBackend', 'useBackend', 'NORMBENCH_TEST_BACKEND', 'TEST_BACKEND']) {
      t.false(code.includes(word), `${relative(REPO, file)} is marked backend-independent but uses ${word}: remove the mark, and it runs on every backend`);
    }
  }
});

test('every test file takes `test` from test/ava.ts, so that its tests run one after another', (t) => {
  for (const file of testFiles(TEST_DIR)) {
    const code = readFileSync(file, 'utf8');
    t.false(/^import (?!type\b)[^;]*from 'ava';$/m.test(code), `${relative(REPO, file)} imports from 'ava' itself: import test from test/ava.ts instead`);
    t.regex(code, /^import test from '(\.\/|(\.\.\/)+)ava\.js';$/m, `${relative(REPO, file)} does not import test from test/ava.ts`);
  }
});
