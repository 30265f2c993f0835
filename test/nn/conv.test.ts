// The convolution (src/nn/conv.ts: im2col and one matrix product, col2im as the input gradient)
// against float64 PyTorch: forward output and the gradients with respect to the input, the filter
// and the bias, at stride 1 and 2, `same` (TensorFlow's, asymmetric at stride 2) and `valid`
// padding, 1×1, 3×3 and 5×5 filters; and the convnet's 2×2 max and average pooling. Fixtures: test/fixtures/conv.json, made by
// scripts/make-conv-fixtures.py. And the same numbers on the test backend and on cpu.

import test from '../ava.js';
import {conv2d, im2col} from '../../src/nn/conv.js';
import {maxPool} from '../../src/nn/pool.js';
import * as tf from '../../src/tf.js';
import {assertClose, fixture, maxAbsDiff, setupBackend, TEST_BACKEND} from '../helpers.js';

type A = number[][][][];
interface ConvCase {stride: number; padding: 'same' | 'valid'; x: A; w: A; bias: number[]; y: A; dy: A; dx: A; dw: A; dbias: number[]}
interface PoolCase {size: number; x: A; y: A; dy: A; dx: A}
const {cases, pools} = fixture<{cases: Record<string, ConvCase>; pools: Record<'max' | 'avg', PoolCase>}>('conv.json');
const TOL = 1e-5;

test.before(setupBackend);

/** y = conv2d(x, w) + b and the gradients of Σ y·dy with respect to x, w and b. */
function convAndGrads(c: ConvCase) {
  const x = tf.tensor(c.x) as tf.Tensor4D;
  const w = tf.tensor(c.w) as tf.Tensor4D;
  const b = tf.tensor1d(c.bias);
  const dy = tf.tensor(c.dy) as tf.Tensor4D;
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.add(conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.padding), bb);
  const y = f(x, w, b);
  const [dx, dw, db] = tf.grads(f)([x, w, b], dy);
  return {y: y!, dx: dx!, dw: dw!, db: db!};
}

for (const [name, c] of Object.entries(cases)) {
  test(`conv ${name} (stride ${c.stride}, ${c.padding}, ${c.w.length}×${c.w.length}) is torch's conv2d: y, ∂/∂x, ∂/∂w, ∂/∂b`, (t) => {
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => convAndGrads(c));
    t.deepEqual(got.y.shape, [c.y.length, c.y[0]!.length, c.y[0]![0]!.length, c.bias.length]);
    tf.tidy(() => {
      assertClose(t, got.y, tf.tensor(c.y), TOL, `${name} y`, true);
      assertClose(t, got.dx, tf.tensor(c.dx), TOL, `${name} dx`, true);
      assertClose(t, got.dw, tf.tensor(c.dw), TOL, `${name} dw`, true);
      assertClose(t, got.db, c.dbias, TOL, `${name} dbias`, true);
    });
    tf.dispose(Object.values(got));
    t.is(tf.memory().numTensors, before, 'every tensor disposed');
  });
}

test('the first layer\'s input gradient is never computed: col2im runs only for an input that leads back to a variable', async (t) => {
  if (tf.getBackend() === 'tensorflow') {
    t.pass('tfjs-node convolves with its own kernels (tf.conv2d), not im2col');
    return;
  }
  const c = cases.same_s2!;
  const x = tf.tensor(c.x) as tf.Tensor4D;
  const w = tf.variable(tf.tensor(c.w), true) as tf.Variable<tf.Rank.R4>;
  const profile = async (vars: tf.Variable[]) => (await tf.profile(() => {
    tf.tidy(() => tf.variableGrads(() => tf.sum(conv2d(vars.length > 1 ? (vars[1] as tf.Tensor4D) : x, w, c.stride, c.padding)) as tf.Scalar, vars));
  })).kernels.map((k) => k.name);
  const first = await profile([w]);
  t.true(first.includes('NormbenchIm2Col'));
  t.false(first.includes('NormbenchCol2Im'), `kernels: ${first.join(', ')}`);
  const xv = tf.variable(x, true);
  t.true((await profile([w, xv])).includes('NormbenchCol2Im'), 'an input that is a variable gets its gradient');
  w.dispose();
  xv.dispose();
});

test('im2col lays out one row per output position, columns in the filter\'s (kh, kw, in) order, zeros in the padding', (t) => {
  // x [1, 2, 3, 2]: pixel (r, c) holds channels (10r + c, −(10r + c)).
  const values = [];
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) values.push(10 * r + c, -(10 * r + c));
  const x = tf.tensor4d(values, [1, 2, 3, 2]);
  const p = im2col(x, 2, 2, 2, 'same');
  // 'same' at stride 2: output 1×2, padding 0 above, 1 below; 0 left, 1 right.
  t.deepEqual(p.shape, [2, 8]);
  t.deepEqual(Array.from(p.dataSync()), [
    0, -0, 1, -1, 10, -10, 11, -11,
    2, -2, 0, 0, 12, -12, 0, 0,
  ]);
});

test('the convolution gives the same numbers on cpu as on the test backend (float tolerance)', async (t) => {
  const c = cases.same_s2!;
  const on = (await import('../../src/tf.js')).getBackend();
  const a = tf.tidy(() => Object.values(convAndGrads(c)).map((v) => Array.from(v.dataSync())));
  await tf.setBackend('cpu');
  const b = tf.tidy(() => Object.values(convAndGrads(c)).map((v) => Array.from(v.dataSync())));
  await tf.setBackend(on);
  t.is(on, TEST_BACKEND);
  a.forEach((values, i) => assertClose(t, values, b[i]!, 1e-5, `part ${i}`, true));
});

test('the convnet\'s pooling is torch\'s max_pool2d and avg_pool2d (2×2, stride 2, a last odd row dropped, negative values): y and ∂/∂x', (t) => {
  for (const kind of ['max', 'avg'] as const) {
    const c = pools[kind];
    tf.tidy(() => {
      const pool = (x: tf.Tensor) => (kind === 'max' ? maxPool(x as tf.Tensor4D, c.size) : tf.avgPool(x as tf.Tensor4D, c.size, c.size, 'valid'));
      const x = tf.tensor(c.x);
      assertClose(t, pool(x), tf.tensor(c.y), TOL, `${kind} y`, true);
      assertClose(t, tf.grad(pool)(x, tf.tensor(c.dy)), tf.tensor(c.dx), TOL, `${kind} dx`, true);
    });
  }
});

test('tfjs-backend-wasm\'s own max-pool gradient is wrong on negative values (why src/nn/pool.ts has its own); ties go to the first maximum', (t) => {
  const c = pools.max;
  const x = tf.tensor(c.x) as tf.Tensor4D;
  const theirs = tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'))(x, tf.tensor(c.dy));
  const off = maxAbsDiff(theirs, tf.tensor(c.dx));
  if (tf.getBackend() === 'wasm') t.true(off > 0.01, `wasm's MaxPoolGrad now matches torch (max |Δ| ${off}): src/nn/pool.ts may go`);
  else t.true(off < 1e-5, `${tf.getBackend()}'s MaxPoolGrad matches torch`);
  // A window of equal values: the first position (row by row) takes the gradient, as torch's.
  const tie = tf.grad((v: tf.Tensor) => maxPool(v as tf.Tensor4D, 2))(tf.zeros([1, 2, 2, 1]), tf.ones([1, 1, 1, 1]));
  t.deepEqual(Array.from(tie.dataSync()), [1, 0, 0, 0]);
});
