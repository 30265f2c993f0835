// The suite's `test`: ava's, with the tests of a file run one after another, in the order written.
//
// ava runs test files side by side (`concurrency` in ava.config.js), each in a process of its own,
// and — unless told otherwise — the tests of a file at the same time too. Ours must not overlap:
// they count tensors, share directories made by earlier tests, change the working directory
// (cliInProcess). So every test file takes `test` from here, not from 'ava'
// (test/suite.test.ts checks it).

import anyTest from 'ava';

const test = anyTest.serial;
export default test;
