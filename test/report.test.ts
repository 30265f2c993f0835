// report: tables and plots from results files, on fixture results directories with known
// numbers (test/fixtures/report, written by make-fixture.mjs there; the rules that made each
// number are in that script). Statistics are checked against values worked out by hand below.
// The first report of each kind (a table, bad input) goes through the real CLI; the others run
// the same command in this process (helpers' cliInProcess).
//
// backend-independent: report reads results files; no tensors.

import {cpSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import type {ExecutionContext} from 'ava';
import {readResults} from '../src/results/read.js';
import {makeConditions, makeSources} from '../src/results/report-data.js';
import {diagnosticPlots, gradientFlowPlots} from '../src/results/report-plots.js';
import {describe, t975} from '../src/results/report-stats.js';
import {normColours} from '../src/results/plots.js';
import {cli, cliInProcess as nb, REPO, tempDir} from './helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'report');
const CLASSIFY = join(FIXTURES, 'classify');
const ADDING = join(FIXTURES, 'adding');

let base: string;

test.before(() => {
  base = tempDir('normbench-report-');
  cpSync(CLASSIFY, join(base, 'classify'), {recursive: true});
  cpSync(ADDING, join(base, 'adding'), {recursive: true});
});

const close = (t: ExecutionContext, actual: number, expected: number, what: string, tol = 1e-6) =>
  t.true(Math.abs(actual - expected) <= tol, `${what}: ${actual} ≠ ${expected}`);

/** A tiny XML well-formedness check: tags balance, attributes are quoted, no stray & or <. */
function assertWellFormed(t: ExecutionContext, svg: string, file: string): void {
  const stack: string[] = [];
  const tags = svg.match(/<[^>]*>/g) ?? [];
  for (const tag of tags) {
    if (tag.startsWith('<?') || tag.startsWith('<!')) continue;
    const name = /^<\/?([A-Za-z][\w:.-]*)/.exec(tag)?.[1];
    if (!name) return void t.fail(`${file}: bad tag ${tag}`);
    if (tag.startsWith('</')) {
      const open = stack.pop();
      if (open !== name) return void t.fail(`${file}: </${name}> closes <${open}>`);
    } else if (!tag.endsWith('/>')) {
      stack.push(name);
    }
    const attributes = tag.replace(/^<\/?[\w:.-]+/, '').replace(/\/?>$/, '').replace(/\s+[\w:.-]+="[^"]*"/g, '').trim();
    if (attributes !== '') return void t.fail(`${file}: unquoted or malformed attributes in ${tag.slice(0, 80)}`);
  }
  t.deepEqual(stack, [], `${file}: unclosed elements`);
  t.true(svg.trimStart().startsWith('<svg'), `${file}: the root is <svg>`);
  const text = svg.replace(/<[^>]*>/g, '');
  t.false(/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text), `${file}: stray < or & in text`);
}

/** Line series drawn (Vega draws each series of a line mark as its own mark-line group). */
const lineCount = (svg: string) => (svg.match(/<g class="mark-line role-mark /g) ?? []).length;
/** Symbols of the diverged-run layer. */
const markCount = (svg: string) =>
  [...svg.matchAll(/<g class="mark-symbol role-mark [^"]*"[^>]*?(?:\/>|>(.*?)<\/g>)/g)].reduce((n, m) => n + (m[1]?.match(/<path/g) ?? []).length, 0);
/** The texts of the SVG (axis labels, headers, legend entries, titles). */
/** The words of an SVG's texts; a multi-line label is one <tspan> per line. */
const texts = (svg: string) => [...svg.matchAll(/<(?:text|tspan)[^>]*>([^<]+)<\/(?:text|tspan)>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

test('t quantiles and the statistics of a condition, by hand', (t) => {
  // scipy.stats.t.ppf(0.975, df): 12.706205 (1), 4.302653 (2), 2.042272 (30), 2.039513 (31), 1.962339 (1000).
  t.is(t975(1), 12.706205);
  t.is(t975(2), 4.302653);
  t.is(t975(30), 2.042272);
  close(t, t975(31), 2.0395134, 't975(31), past the table', 1e-6);
  close(t, t975(1000), 1.9623391, 't975(1000)', 1e-6);
  // [0.70, 0.72, 0.74]: mean 0.72; sd = √((0.02² + 0 + 0.02²)/2) = 0.02;
  // CI = 0.72 ± 4.302653 · 0.02/√3 = 0.72 ± 0.0496828.
  const s = describe([0.7, 0.72, 0.74]);
  close(t, s.mean!, 0.72, 'mean');
  close(t, s.sd!, 0.02, 'sd');
  close(t, s.ci95![0], 0.6703172, 'CI low');
  close(t, s.ci95![1], 0.7696828, 'CI high');
  t.deepEqual(describe([0.87]), {n: 1, mean: 0.87}, 'n = 1: no sd, no interval');
  t.deepEqual(describe([]), {n: 0});
});

test('the table per condition: mean ± sd, 95 % CI, n, diverged and failed, as text and as JSON numbers', async (t) => {
  const r = cli(['report', 'classify', '--out', 'out-classify'], base);
  t.is(r.code, 0, r.stderr);
  // none·sigmoid, seeds 0.70/0.72/0.74 → 72.0 ± 2.0; final loss 2(1 − acc) = 0.60/0.56/0.52 → 0.5600 ± 0.040;
  // loss AUC 1 − acc → 0.2800 ± 0.020; no run reaches 0.8 by its last step, 200 → >200 (0/3). No run at chance.
  t.regex(r.stdout, /^none +sigmoid +3 +0 +0 +0 +72\.0 ± 2\.0 +72\.0 ± 2\.0 +0\.5600 ± 0\.040 +0\.2800 ± 0\.020 +>200 \(0\/3\)$/m);
  // none·relu: 0.80, 0.84 ok, seed 3 diverged → n 2, 82.0 ± 2.8 (sd 0.04/√2), reached 0.8 at step 200 in both.
  t.regex(r.stdout, /^none +relu +2 +1 +0 +0 +82\.0 ± 2\.8 .* 200 \(2\/2\)$/m);
  // batch(center=false)·relu: one ok run (0.87), two diverged → the mean alone, no CI.
  t.regex(r.stdout, /^batch\(center=false\) +relu +1 +2 +0 +0 +87\.0 +87\.0 +0\.2600 +0\.1300 +200 \(1\/1\)$/m);
  // Intervals on the logit scale (accuracy) and the log scale (losses), worked out in test/stats.test.ts:
  // [0.6679942, 0.7672221], [0.4679927, 0.6678147] and half that for the AUC; steps: all three censored, at 75 %.
  t.regex(r.stdout, /^none +sigmoid +\[66\.8, 76\.7\] +\[66\.8, 76\.7\] +\[0\.4680, 0\.6678\] +\[0\.2340, 0\.3339\] +>200 75 %$/m);
  t.regex(r.stdout, /^batch\(center=false\) +relu +— +— +— +— +—$/m);
  // The chance rule: 3 classes, 60 test examples → 1/3 + 3·√((1/3)(2/3)/60) = 0.5159075.
  t.regex(r.stdout, /^at chance: .*best test accuracy ≤ 51\.6 % \(chance 1\/3 \+ 3 SE on 60 test examples\)\. At chance: none\.$/m);
  t.regex(r.stdout, /\nreport: .*out-classify\/report\.md · 4 plots in .*out-classify\/plots\n$/);

  const json = JSON.parse((await nb(['report', 'classify', '--out', 'out-classify', '--json'], base)).stdout);
  t.is(json.conditions.length, 6);
  const find = (norm: string, activation: string) => json.conditions.find((c: {norm: string; activation: string}) => c.norm === norm && c.activation === activation);
  const noneSigmoid = find('none', 'sigmoid');
  t.like(noneSigmoid, {results: 'bn-fixture', runs: 3, n: 3, diverged: 0, failed: 0, factors: {}});
  close(t, noneSigmoid.metrics.final_test_accuracy.mean, 0.72, 'none·sigmoid final accuracy mean');
  close(t, noneSigmoid.metrics.final_test_accuracy.sd, 0.02, 'sd');
  // On the logit scale (test/stats.test.ts): [0.6679942, 0.7672221] around σ(mean logit) = 0.7202918.
  close(t, noneSigmoid.metrics.final_test_accuracy.ci95[0], 0.6679942, 'CI low');
  close(t, noneSigmoid.metrics.final_test_accuracy.ci95[1], 0.7672221, 'CI high');
  t.like(noneSigmoid.metrics.final_test_accuracy, {scale: 'logit'});
  close(t, noneSigmoid.metrics.final_test_accuracy.centre, 0.7202918, 'centre');
  // final loss 0.60/0.56/0.52 on the log scale: [0.4679927, 0.6678147].
  close(t, noneSigmoid.metrics.final_test_loss.ci95[1], 0.6678147, 'final loss CI high');
  t.deepEqual(noneSigmoid.metrics['steps_to_test_accuracy_0.8'], {n: 3, reached: 0, last_step: 200, median: null, interval: [null, null], level: 0.75});
  t.like(noneSigmoid, {at_chance: 0, at_chance_runs: []});
  // none·relu: 0.80, 0.84 → sd = 0.02·√2 = 0.0282843; with n = 2, t = 12.706205 on the logit scale:
  // [0.4488393, 0.9626689] (python3/numpy) — wide, and below 1 without clipping (plain t: 1.0741241).
  const noneRelu = find('none', 'relu');
  t.like(noneRelu, {runs: 3, n: 2, diverged: 1, failed: 0});
  close(t, noneRelu.metrics.final_test_accuracy.sd, 0.0282843, 'none·relu sd');
  close(t, noneRelu.metrics.final_test_accuracy.ci95[0], 0.4488393, 'none·relu CI low');
  close(t, noneRelu.metrics.final_test_accuracy.ci95[1], 0.9626689, 'none·relu CI high');
  // batch·sigmoid: best 0.90/0.91/0.95 (the step-100 overshoot) → 0.92, sd √(0.0007) = 0.0264575;
  // every seed reaches 0.8 at step 100 → median 100, [x_(1), x_(3)] = [100, 100] at 1 − 2·2⁻³ = 75 %.
  const batchSigmoid = find('batch', 'sigmoid');
  close(t, batchSigmoid.metrics.best_test_accuracy.mean, 0.92, 'best accuracy mean');
  close(t, batchSigmoid.metrics.best_test_accuracy.sd, 0.0264575, 'best accuracy sd');
  t.deepEqual(batchSigmoid.metrics['steps_to_test_accuracy_0.8'], {n: 3, reached: 3, last_step: 200, median: 100, interval: [100, 100], level: 0.75});
  // batch(center=false)·sigmoid: seed 2 failed → n 2, failed 1, 0.88/0.84 → 0.86.
  const centerFalse = find('batch(center=false)', 'sigmoid');
  t.like(centerFalse, {runs: 3, n: 2, diverged: 0, failed: 1});
  close(t, centerFalse.metrics.final_test_accuracy.mean, 0.86, 'mean without the failed run');
  t.like(find('batch(center=false)', 'relu').metrics.final_test_accuracy, {n: 1, mean: 0.87, sd: null, ci95: null});
  t.deepEqual(json.plots.map((p: {file: string}) => p.file), ['plots/test_accuracy.svg', 'plots/train_loss.svg', 'plots/diagnostic-activation_percentiles.svg', 'plots/diagnostic-dead_units.svg']);
});

test('a regression task: test loss is plotted instead of accuracy and says so; grid factors are columns', async (t) => {
  const r = await nb(['report', 'adding', '--out', 'out-adding'], base);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /No final acc %, best acc %: no run has one \(a regression task has no accuracy\)\./);
  t.false(r.stdout.includes('final acc %  '), 'no accuracy columns');
  // layer · lr 0.1: final loss 0.02/0.04 → 0.03 ± 0.01414; both reach test loss ≤ 0.05 at step 200.
  // On the log scale with n = 2: exp(mean ln ± 12.706205·sd(ln)/√2) = [0.0003460, 2.312] (python3/numpy);
  // plain t was [−0.0970621, 0.1570621], below zero.
  t.regex(r.stdout, /^layer +tanh +0\.1 +2 +0 +0 +0 +0\.03000 ± 0\.014 +0\.08000 ± 0\.014 +200 \(2\/2\)$/m);
  t.regex(r.stdout, /^layer +tanh +0\.1 +\[0\.0003460, 2\.312\]/m);
  // none · lr 0.01 never beat the mean: its test loss went 0.17 → 0.165 → 0.16 (seed 1) and 0.17 → 0.175 → 0.18
  // (seed 2), never below 1/6 − 3·√(7/180/1000) = 0.1479584. lr 0.1 reached 0.10 and 0.12: it did.
  t.regex(r.stdout, /^none +tanh +0\.01 +2 +0 +0 +2 /m);
  t.regex(r.stdout, /^none +tanh +0\.1 +2 +0 +0 +0 /m);
  t.regex(r.stdout, /lowest test loss ≥ 0\.1480 \(the adding problem's mean predictor, MSE 1\/6, − 3 SE on 1000 test examples\)\. At chance: 2 runs: none · tanh · train\.lr=0\.01 · seed 1; none · tanh · train\.lr=0\.01 · seed 2\./);
  const plots = readdirSync(join(base, 'out-adding', 'plots')).sort();
  // train.lr (0.01, 0.1) is numeric: the final test loss (no accuracy) and the loss AUC against it.
  t.deepEqual(plots, ['gradient_flow.svg', 'sweep-train.lr-final_test_loss.svg', 'sweep-train.lr-train_loss_auc.svg', 'test_loss.svg', 'train_loss.svg']);
  const md = readFileSync(join(base, 'out-adding', 'report.md'), 'utf8');
  t.regex(md, /!\[Test loss vs training step\]\(plots\/test_loss\.svg\)\n\n\*Figure 1\.\* Test loss vs step, plotted instead of accuracy because the results have no accuracy \(a regression task\)/);
  t.regex(md, /^\| layer \| tanh \| 0\.01 \| 2 \| 0 \| 0 \| 0 \| 0\.07000 ± 0\.014 \|/m);

  const json = JSON.parse((await nb(['report', 'adding', '--out', 'out-adding', '--json'], base)).stdout);
  t.deepEqual(json.factors, ['train.lr']);
  const layer = json.conditions.find((c: {norm: string; factors: Record<string, unknown>}) => c.norm === 'layer' && c.factors['train.lr'] === 0.1);
  t.truthy(layer, 'factors keep their YAML type (0.1 a number)');
  close(t, layer.metrics.final_test_loss.ci95[0], 0.000346, 'CI low, on the log scale', 1e-7);
  t.like(layer.metrics.final_test_loss, {scale: 'log'});
  t.like(layer.metrics['steps_to_test_loss_0.05'], {n: 2, median: 200, reached: 2, level: 0.5});
  close(t, json.chance[0].threshold, 0.1479584, 'never beat the mean below this loss', 1e-7);
  t.like(json.chance[0], {results: 'adding-fixture', kind: 'mean', column: 'test_loss', examples: 1000});
  const stuck = json.conditions.find((c: {norm: string; factors: Record<string, unknown>}) => c.norm === 'none' && c.factors['train.lr'] === 0.01);
  t.like(stuck, {n: 2, at_chance: 2});
  t.like(layer.metrics.final_test_accuracy, {n: 0, mean: null});
});

test('plots: well-formed SVG, one line per condition and panel, norms in the legend, fixed colours, diverged runs marked', (t) => {
  const dir = join(base, 'out-classify', 'plots');
  for (const file of readdirSync(dir)) {
    const svg = readFileSync(join(dir, file), 'utf8');
    assertWellFormed(t, svg, file);
    t.true(texts(svg).includes('norm'), `${file} has the norm legend`);
  }
  const accuracy = readFileSync(join(dir, 'test_accuracy.svg'), 'utf8');
  // 3 norms × 2 activation panels; crosses for the 3 diverged runs (none·relu 3, batch(center=false)·relu 2 and 3).
  t.is(lineCount(accuracy), 6);
  t.is(markCount(accuracy), 3);
  const words = texts(accuracy);
  for (const label of ['none', 'batch', 'batch(center=false)', 'norm', 'diverged run', 'sigmoid', 'relu', 'test accuracy', 'Test accuracy vs training step']) {
    t.true(words.includes(label), `"${label}" in the SVG's text`);
  }
  // The fixed colours: none grey, batch blue, batch(center=false) a darker shade of that blue.
  const colours = normColours(['none', 'batch', 'batch(center=false)']);
  t.deepEqual(Object.fromEntries(colours), {none: '#595959', batch: '#4e79a7', 'batch(center=false)': '#1f3043'});
  for (const c of colours.values()) t.true(accuracy.includes(`stroke="${c}"`), `${c} drawn`);
  t.is(normColours(['layer', 'none']).get('none'), '#595959', 'the colour does not depend on the other norms');
  // Percentiles: 2 layers × 2 activations × 3 norms × (p50 line + p15 and p85 edges).
  t.is(lineCount(readFileSync(join(dir, 'diagnostic-activation_percentiles.svg'), 'utf8')), 2 * 2 * 3 * 3);
  t.is(lineCount(readFileSync(join(dir, 'diagnostic-dead_units.svg'), 'utf8')), 2 * 2 * 3);
  t.false(/\d{4}-\d{2}-\d{2}T\d{2}:/.test(accuracy), 'no timestamp');

  const flow = readFileSync(join(base, 'out-adding', 'plots', 'gradient_flow.svg'), 'utf8');
  assertWellFormed(t, flow, 'gradient_flow.svg');
  // 2 norms × 2 learning-rate panels × 2 rows (first and last step).
  t.is(lineCount(flow), 8);
  const flowWords = texts(flow);
  // Panel labels break at ' · ' into lines: each part is its own text.
  for (const label of ['step 0 (first)', 'step 200 (last)', 'tanh', 'train.lr=0.1', 'train.lr=0.01', 'layer', 'none']) t.true(flowWords.includes(label), `"${label}"`);
  t.true(flow.includes('stroke="#f28e2b"'), 'layer is orange here too');
});

test('diagnostics and gradient flow aggregate as documented (library)', (t) => {
  const sources = makeSources([readResults(CLASSIFY)]);
  const {runs} = makeConditions(sources);
  const plots = diagnosticPlots(sources, runs, undefined);
  t.deepEqual(plots.map((p) => p.file), ['diagnostic-activation_percentiles.svg', 'diagnostic-dead_units.svg']);
  // none·sigmoid, layer 1, step 200: p50 = 0.5 + 0.1 + 0.01·(seed − 2) → mean 0.60; the spread
  // without a norm is 0.1 + 0.15 = 0.25 → band [0.35, 0.85]; with batch it is 0.2 → [0.40, 0.80].
  const at = (norm: string) => plots[0]!.points.find((p) => p.norm === norm && p.panel === 'sigmoid' && p.row === 'layer 1' && p.x === 200)!;
  close(t, at('none').y, 0.6, 'p50');
  close(t, at('none').lo, 0.35, 'p15');
  close(t, at('none').hi, 0.85, 'p85');
  t.is(at('none').n, 3);
  close(t, at('batch').lo, 0.4, 'batch p15');
  // batch(center=false)·sigmoid has 2 ok runs (seed 2 failed), seeds 1 and 3: p50 0.59 and 0.61.
  t.is(at('batch(center=false)').n, 2);
  close(t, at('batch(center=false)').y, 0.6, 'mean of two');
  // Only ok runs: the diverged none·relu seed 3 is not in the step-0 mean (seeds 1 and 2: dead 0.01, 0.02).
  const dead = plots[1]!.points.find((p) => p.norm === 'none' && p.panel === 'relu' && p.row === 'layer 1' && p.x === 0)!;
  t.like(dead, {n: 2, lo: 0.01, hi: 0.02});
  close(t, dead.y, 0.015, 'dead units mean');

  t.deepEqual(diagnosticPlots(sources, runs, ['activation_p50']).map((p) => p.file), ['diagnostic-activation_percentiles.svg'], 'a probe selects its group');
  t.deepEqual(diagnosticPlots(sources, runs, ['dead_units']).map((p) => p.file), ['diagnostic-dead_units.svg']);
  t.throws(() => diagnosticPlots(sources, runs, ['dead_unit']), {message: /--diagnostic dead_unit: no such probe in diagnostics\.csv — did you mean "dead_units"\? \(present: activation_percentiles, dead_units\)/});

  const adding = makeSources([readResults(ADDING)]);
  const flow = gradientFlowPlots(adding, makeConditions(adding).runs)[0]!;
  t.deepEqual([...new Set(flow.points.map((p) => p.row))], ['step 0 (first)', 'step 200 (last)'], 'step 100 is neither first nor last');
  // none · lr 0.1, t = 1 at step 200: (1 + 0.1·(seed − 1)) · 0.5⁹ → seeds 1, 2: 0.001953125, 0.0021484375; mean 0.00205078.
  const p = flow.points.find((q) => q.norm === 'none' && q.panel === 'tanh · train.lr=0.1' && q.row === 'step 200 (last)' && q.x === 1)!;
  close(t, p.y, 0.00205078125, 'mean', 1e-9);
  close(t, p.lo, 0.001953125, 'min', 1e-9);
  close(t, p.hi, 0.0021484375, 'max', 1e-9);
});

test('report.md: title, question, provenance, the tables, every plot embedded with a caption', (t) => {
  const md = readFileSync(join(base, 'out-classify', 'report.md'), 'utf8');
  t.true(md.startsWith('# bn-fixture\n\n> Does BatchNorm make a sigmoid MLP train faster? (fixture with known numbers)\n\n## Provenance\n'));
  t.regex(md, /\| \*\*results\*\* \| `\.\.\/classify` \|/);
  t.regex(md, /\| \*\*runs\*\* \| 18 of 18 \(complete\): 14 ok, 3 diverged, 1 failed \|/);
  t.regex(md, /\| \*\*backend\*\* \| wasm \(tfjs 4\.22\.0, Node v20\.20\.2, linux-x64\) \|/);
  t.regex(md, /\| \*\*normbench\*\* \| 0\.1\.0, build f1x7ure0b01d \|/);
  t.regex(md, /\| \*\*host\*\* \| fixture-host \(Fixture CPU, 2 cores\) \|/);
  t.regex(md, /\| \*\*dates\*\* \| 2026-01-02 03:04:05 UTC → 2026-01-02 03:10:00 UTC \|/);
  t.regex(md, /^\| norm \| activation \| n \| diverged \| failed \| at chance \| final acc % \| best acc % \| final test loss \| loss AUC \| steps→test acc 0\.8 \|$/m);
  t.regex(md, /^\| none \| sigmoid \| 3 \| 0 \| 0 \| 0 \| 72\.0 ± 2\.0 \| 72\.0 ± 2\.0 \| 0\.5600 ± 0\.040 \| 0\.2800 ± 0\.020 \| >200 \(0\/3\) \|$/m);
  t.regex(md, /^\| none \| sigmoid \| \[66\.8, 76\.7\] \|/m);
  const figures = [...md.matchAll(/^!\[[^\]]+\]\((plots\/[^)]+\.svg)\)\n\n\*Figure (\d)\.\* (.+)$/gm)];
  t.deepEqual(figures.map((f) => f[1]), ['plots/test_accuracy.svg', 'plots/train_loss.svg', 'plots/diagnostic-activation_percentiles.svg', 'plots/diagnostic-dead_units.svg']);
  for (const f of figures) t.true(existsSync(join(base, 'out-classify', f[1]!)), `${f[1]} exists`);
  t.regex(figures[0]![3]!, /line = mean over the seeds that finished ok, band = min–max over them; × = a diverged run/);
  t.regex(figures[2]![3]!, /line = p50, band = p15–p85/);
});

test('--out: default the results directory; several directories need it; a new path is created', async (t) => {
  const own = join(base, 'own');
  cpSync(CLASSIFY, own, {recursive: true});
  const r = await nb(['report', 'own'], base);
  t.is(r.code, 0, r.stderr);
  t.true(existsSync(join(own, 'report.md')));
  t.deepEqual(readdirSync(join(own, 'plots')).sort(), ['diagnostic-activation_percentiles.svg', 'diagnostic-dead_units.svg', 'test_accuracy.svg', 'train_loss.svg']);
  t.regex(readFileSync(join(own, 'report.md'), 'utf8'), /\| \*\*results\*\* \| `\.` \|/);
  t.is((await nb(['report', 'own'], base)).code, 0, 'a report in a results directory does not stop it being one');

  const several = await nb(['report', 'classify', 'adding'], base);
  t.is(several.code, 2);
  t.regex(several.stderr, /error: several results directories \(classify, adding\) need --out/);
  const nested = await nb(['report', 'classify', '--out', 'deep/er/out', '--diagnostic', 'dead_units'], base);
  t.is(nested.code, 0, nested.stderr);
  t.deepEqual(readdirSync(join(base, 'deep', 'er', 'out', 'plots')).sort(), ['diagnostic-dead_units.svg', 'test_accuracy.svg', 'train_loss.svg']);
  writeFileSync(join(base, 'a-file'), '');
  const file = await nb(['report', 'classify', '--out', 'a-file'], base);
  t.is(file.code, 2);
  t.regex(file.stderr, /--out a-file: is a file, not a directory/);
});

test('several directories in one report: kept apart, labelled by experiment or by directory', async (t) => {
  const r = await nb(['report', 'classify', 'adding', '--out', 'both', '--json'], base);
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  t.deepEqual(json.sources.map((s: {label: string}) => s.label), ['bn-fixture', 'adding-fixture']);
  t.is(json.conditions.length, 6 + 4);
  t.deepEqual(json.factors, ['train.lr']);
  const text = (await nb(['report', 'classify', 'adding', '--out', 'both'], base)).stdout;
  t.regex(text, /^results +norm +activation +train\.lr +n +diverged/m);
  // A target of one experiment does not apply to the other: —, not "(0/n) reached".
  t.regex(text, /^bn-fixture +none +sigmoid +— +3 +0 +0 +0 +72\.0 ± 2\.0 .* >200 \(0\/3\) +—$/m);
  t.regex(text, /^adding-fixture +layer +tanh +0\.1 +2 +0 +0 +0 +— +— +0\.03000 ± 0\.014 +0\.08000 ± 0\.014 +— +200 \(2\/2\)$/m);
  const md = readFileSync(join(base, 'both', 'report.md'), 'utf8');
  t.true(md.startsWith('# bn-fixture vs adding-fixture\n\n- **bn-fixture**: Does BatchNorm'));
  // Accuracy from one, test loss from the other (it has none), training loss from both.
  // train.lr is adding-fixture's alone: its sweeps plot the metrics its conditions have (no accuracy).
  t.deepEqual(readdirSync(join(base, 'both', 'plots')).sort(), ['diagnostic-activation_percentiles.svg', 'diagnostic-dead_units.svg', 'gradient_flow.svg',
    'sweep-train.lr-final_test_loss.svg', 'sweep-train.lr-train_loss_auc.svg', 'test_accuracy.svg', 'test_loss.svg', 'train_loss.svg']);
  t.regex(md, /plotted instead of accuracy because adding-fixture has no accuracy/);
  const train = readFileSync(join(base, 'both', 'plots', 'train_loss.svg'), 'utf8');
  assertWellFormed(t, train, 'train_loss.svg');
  t.is(lineCount(train), 6 + 4);
  for (const label of ['results', 'bn-fixture', 'adding-fixture', 'none', 'batch', 'layer']) t.true(texts(train).includes(label), `"${label}" in the legend`);
  t.true(train.includes('stroke-dasharray'), 'the second source is dashed');

  // Two directories of one experiment: labelled by directory name, their conditions apart.
  cpSync(CLASSIFY, join(base, 'again'), {recursive: true});
  const same = JSON.parse((await nb(['report', 'classify', 'again', '--out', 'same', '--json'], base)).stdout);
  t.deepEqual(same.sources.map((s: {label: string}) => s.label), ['classify', 'again']);
  t.is(same.conditions.length, 12);
  const twice = await nb(['report', 'classify', './classify', '--out', 'twice'], base);
  t.is(twice.code, 2);
  t.regex(twice.stderr, /\.\/classify is given twice/);
});

test('the same results give the same bytes', async (t) => {
  // One in a new process, one in a process that has made reports before: no state carries over.
  t.is(cli(['report', 'classify', '--out', 'same-a'], base).code, 0);
  t.is((await nb(['report', 'classify', '--out', 'same-b'], base)).code, 0);
  for (const file of ['report.md', ...readdirSync(join(base, 'same-a', 'plots')).map((f) => join('plots', f))]) {
    t.true(readFileSync(join(base, 'same-a', file)).equals(readFileSync(join(base, 'same-b', file))), `${file} differs`);
  }
});

test('bad input is exit 2: not a results directory, no such directory, a corrupt diagnostics.csv, a bad --diagnostic', async (t) => {
  const broken = join(base, 'broken');
  cpSync(CLASSIFY, broken, {recursive: true});
  writeFileSync(join(broken, 'diagnostics.csv'), 'run_id,step,probe,value\nx,0,p,1\n');
  const cases: Array<[string[], RegExp]> = [
    [['report', '.'], /is not a normbench results directory \(it has no manifest\.json\)/],
    [['report', 'nowhere'], /nowhere: no such directory/],
    [['report', 'broken'], /broken\/diagnostics\.csv:1: lacks the column layer \(expected run_id, step, probe, layer, value, …/],
    [['report', 'adding', '--out', 'x', '--diagnostic', 'dead_units'], /--diagnostic dead_units: .*adding has no diagnostics\.csv/],
    [['report', 'classify', '--out', 'x', '--diagnostic', 'activation_percentile'], /no such probe in diagnostics\.csv — did you mean "activation_percentiles"\?/],
  ];
  for (const [i, [args, message]] of cases.entries()) {
    const r = i === 0 ? cli(args, base) : await nb(args, base);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, message);
  }
  const json = await nb(['report', '.', '--json'], base);
  t.like(JSON.parse(json.stdout).error, {code: 'results', exit_code: 2});
  t.false(existsSync(join(base, 'x')), 'nothing written on bad input');
});

test('a sweep of one norm (γ 0.1, 0.5, 1) gets shades from light to dark in label order, all distinct', (t) => {
  const labels = ['batch(gamma_init=0.1)', 'batch(gamma_init=0.5)', 'batch(gamma_init=1)'];
  const colours = normColours(labels);
  const luminance = (hex: string) => [1, 3, 5].reduce((sum, i) => sum + parseInt(hex.slice(i, i + 2), 16), 0);
  const l = labels.map((x) => luminance(colours.get(x)!));
  t.true(l[0]! > l[1]! && l[1]! > l[2]!, `luminance ${l.join(' > ')}`);
  const withPlain = normColours(['batch', ...labels]);
  t.is(withPlain.get('batch'), '#4e79a7', 'the plain norm keeps the family colour');
  t.is(new Set(withPlain.values()).size, 4);
});
