// report --html in a real browser: Debian's headless Chromium driven by puppeteer-core. Each
// page is opened from a temporary directory of its own (report.html alone: nothing beside it)
// with the network blocked — every request but the page's own file:// is aborted and recorded —
// and the tests assert that none was made, that nothing was logged as an error, that every chart
// drew the series the results hold (the lines of each condition, in its norm's colour), and what
// a click, a selector, a checkbox and the wheel change.
//
// Where no Chromium is installed (NORMBENCH_CHROMIUM, else chromium on the PATH), the browser
// tests are skipped and their title says why. .ci/run installs Debian's chromium.
//
// backend-independent: report reads results files; the one grid it runs names its backend (cpu).

import {spawnSync} from 'node:child_process';
import {copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import type {ExecutionContext} from 'ava';
import type {Browser, Page} from 'puppeteer-core';
import test from './ava.js';
import {cliInProcess as nb, readCsv, REPO, tempDir} from './helpers.js';
import {normColours} from '../src/results/plots.js';

const CLASSIFY = join(REPO, 'test', 'fixtures', 'report', 'classify');
const REFERENCE = join(REPO, 'results', 'reference');

/** The Chromium to drive: NORMBENCH_CHROMIUM, else Debian's `chromium` on the PATH; undefined when there is none. */
function findChromium(): string | undefined {
  if (process.env.NORMBENCH_CHROMIUM) return process.env.NORMBENCH_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'});
    if (found.status === 0) return found.stdout.trim();
  }
  return undefined;
}

const chromium = findChromium();
let browser: Browser | undefined;
let base: string;

test.before(async () => {
  base = tempDir('normbench-html-');
  cpSync(CLASSIFY, join(base, 'classify'), {recursive: true});
  if (!chromium) return;
  const {launch} = await import('puppeteer-core');
  // As root (CI, containers) Chromium needs --no-sandbox.
  browser = await launch({executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
});

test.after.always(async () => {
  await browser?.close();
});

/** `report <dirs> --html` in this process; report.html copied alone into a fresh directory. */
async function htmlReport(t: ExecutionContext, args: string[], cwd = base): Promise<{html: string; alone: string; stdout: string}> {
  const r = await nb(['report', ...args, '--html'], cwd);
  t.is(r.code, 0, r.stderr);
  const written = /^interactive: (.+report\.html) \(self-contained: opens offline, from file:\/\/\)$/m.exec(r.stdout)?.[1];
  t.truthy(written, r.stdout);
  const alone = join(tempDir('normbench-html-alone-'), 'report.html');
  copyFileSync(written!, alone);
  return {html: readFileSync(alone, 'utf8'), alone, stdout: r.stdout};
}

interface Opened {
  page: Page;
  /** Requests other than the page's own file, each aborted. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Milliseconds from navigation start to every chart rendered (the page's data-rendered). */
  rendered: number;
}

async function open(file: string): Promise<Opened> {
  const page = await browser!.newPage();
  await page.setViewport({width: 1300, height: 900});
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url() === url) return void request.continue();
    requests.push(request.url());
    void request.abort();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.rendered !== undefined, {timeout: 60_000});
  const rendered = Number(await page.evaluate(() => document.documentElement.dataset.rendered));
  return {page, requests, errors, rendered};
}

/** Per chart: its title, the stroke colours of its mean lines (one per condition and panel), seeds' lines, and its y axis title. */
async function charts(page: Page) {
  return page.$$eval('figure.chart', (figures) => figures.map((figure) => ({
    // The chart's title: the one with a subtitle (facet headers are titles too).
    title: [...figure.querySelectorAll('g.role-title')].find((g) => g.querySelector('.role-title-subtitle'))?.querySelector('.role-title-text')?.textContent ?? '',
    means: [...figure.querySelectorAll('g.mean_marks path')].map((p) => p.getAttribute('stroke')),
    seeds: figure.querySelectorAll('g.seeds_marks path').length,
    marks: figure.querySelectorAll('g.role-mark path, g.role-mark line').length,
    y: [...figure.querySelectorAll('.role-axis-title')].map((e) => e.textContent).find((text) => !/step|^t$|time step|batch_size|train\.|model\./.test(text ?? '')) ?? '',
  })));
}

/** The mean lines' points in chart i, from its view's scenegraph: condition label, x, y. */
async function meanPoints(page: Page, i: number) {
  return page.evaluate((index) => {
    const out: Array<{label: string; x: number; y: number}> = [];
    type Node = {marktype?: string; name?: string; items?: Node[]; datum?: {label: string; x: number; y: number}; mark?: Node};
    const walk = (node: Node) => {
      for (const item of node.items ?? []) {
        if (node.marktype === 'line' && node.name === 'mean_marks' && item.datum) out.push({label: item.datum.label, x: item.datum.x, y: item.datum.y});
        walk(item);
      }
    };
    walk((window.normbench.views.get(index)!.scenegraph() as unknown as {root: Node}).root);
    return out;
  }, i);
}

const skipWhy = `skipped here: no Chromium (install Debian's chromium, or set NORMBENCH_CHROMIUM)`;
/** A browser test, or its title saying why it is skipped. */
const inBrowser = (title: string, body: (t: ExecutionContext) => Promise<void>) => (chromium ? test(title, body) : test.skip(`${title} — ${skipWhy}`, () => {}));

// ── The file ───────────────────────────────────────────────────────────────────────────────

test('report --html writes one self-contained report.html beside report.md: the three libraries inlined, the data embedded, nothing to fetch', async (t) => {
  const {html, stdout} = await htmlReport(t, ['classify']);
  t.regex(stdout, /^report: .*classify\/report\.md · 4 plots in /m);
  const versions = (name: string) => (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as {version: string}).version;
  for (const name of ['vega', 'vega-lite', 'vega-embed']) t.true(html.includes(`<script data-library="${name}@${versions(name)}">`), name);
  t.is(versions('vega-embed'), '7.3.0');
  // Nothing loaded from elsewhere: no src or href but in-page anchors, no <link>, a policy that forbids any request.
  const markup = html.replace(/(<script\b[^>]*>)[^]*?<\/script>/g, '$1</script>');
  t.is((markup.match(/<script\b/g) ?? []).length, 5);
  t.deepEqual([...markup.matchAll(/<(?:script|img|link|iframe|object|embed)\b[^>]*\b(?:src|href|data)=["']?([^"' >]+)/gi)].map((m) => m[1]), []);
  t.deepEqual([...markup.matchAll(/\bhref="([^"#][^"]*)"/g)].map((m) => m[1]), []);
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'/);
  // The data: every run of the results, and report.md's tables.
  const data = JSON.parse(/<script type="application\/json" id="normbench-data">(.*?)<\/script>/s.exec(html)![1]!) as {runs: Array<{id: string}>; charts: Array<{file: string}>};
  t.deepEqual(data.runs.map((r) => r.id).sort(), readCsv(join(CLASSIFY, 'summary.csv')).map((r) => r.run_id!).sort());
  t.deepEqual(data.charts.map((c) => c.file), ['plots/test_accuracy.svg', 'plots/train_loss.svg', 'plots/diagnostic-activation_percentiles.svg', 'plots/diagnostic-dead_units.svg']);
  t.regex(html, /<h2 id="results-per-condition">Results per condition<\/h2>/);
  // --json says where it went.
  const json = JSON.parse((await nb(['report', 'classify', '--html', '--json'], base)).stdout) as {html: string};
  t.is(json.html, join(base, 'classify', 'report.html'));
});

test('user text in the results is text in the page: a question with HTML in it is escaped', async (t) => {
  const dir = join(base, 'hostile');
  cpSync(CLASSIFY, dir, {recursive: true});
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {question: string};
  manifest.question = 'Does <script>alert(1)</script> <img src=x onerror=alert(2)> run?';
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const {html} = await htmlReport(t, ['hostile']);
  t.true(html.includes('Does &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; run?'));
  t.false(html.includes('<script>alert(1)'));
});

// ── In the browser ─────────────────────────────────────────────────────────────────────────

inBrowser('opened offline from a directory of its own: no request, no console error, every chart drew each condition in its norm\'s colour', async (t) => {
  const {alone} = await htmlReport(t, ['classify']);
  const {page, requests, errors} = await open(alone);
  t.deepEqual(requests, []);
  t.deepEqual(errors, []);
  const colours = normColours(['none', 'batch', 'batch(center=false)']);
  // Conditions with an ok run: each is a line (sigmoid and relu are panels); batch(center=false) · relu has one ok run of three.
  const summary = readCsv(join(CLASSIFY, 'summary.csv'));
  const lines = [...new Set(summary.filter((r) => r.status === 'ok').map((r) => `${r.norm}\u0000${r.activation}`))].map((k) => colours.get(k.split('\u0000')[0]!)!);
  const drawn = await charts(page);
  t.is(drawn.length, 4);
  t.deepEqual(drawn.map((c) => c.title), ['Test accuracy vs training step', 'Training loss vs training step', 'activation: percentiles p15, p50, p85 per layer vs step', 'dead_units per layer vs step']);
  t.deepEqual([...drawn[0]!.means].sort(), [...lines].sort());
  t.deepEqual([...drawn[1]!.means].sort(), [...lines].sort());
  for (const chart of drawn.slice(2)) {
    t.true(chart.means.length >= lines.length, `${chart.title}: ${chart.means.length} lines`);
    t.deepEqual([...new Set(chart.means)].sort(), [...new Set(lines)].sort(), chart.title);
  }
  t.deepEqual(drawn.map((c) => c.seeds), [0, 0, 0, 0]);
  // The plotted values are the means over the ok seeds: none · sigmoid at step 200, test accuracy (0.70 + 0.72 + 0.74)/3 = 0.72.
  const points = await meanPoints(page, 0);
  const at200 = points.filter((p) => p.label === 'none · sigmoid' && p.x === 200);
  t.deepEqual(at200.map((p) => Number(p.y.toFixed(6))), [0.72]);
  await page.close();
});

inBrowser('a click on a legend entry hides that norm in every chart; a second click shows it again', async (t) => {
  const {alone} = await htmlReport(t, ['classify']);
  const {page, errors} = await open(alone);
  const batch = normColours(['none', 'batch', 'batch(center=false)']).get('batch')!;
  const before = await charts(page);
  t.true(before.every((c) => c.means.includes(batch)));
  const labels = await page.$$('figure.chart g.legend-norm-labels text');
  const texts = await Promise.all(labels.map((l) => l.evaluate((e) => e.textContent)));
  t.true(texts.includes('batch'), texts.join(', '));
  await labels[texts.indexOf('batch')]!.click();
  await page.waitForFunction((colour) => !document.querySelector(`g.mean_marks path[stroke="${colour}"]`), {}, batch);
  const hidden = await charts(page);
  hidden.forEach((c, i) => t.deepEqual(c.means, before[i]!.means.filter((s) => s !== batch), c.title));
  // Its legend entry stays, faded, to be clicked again.
  t.is(await labels[texts.indexOf('batch')]!.evaluate((e) => Number(getComputedStyle(e).opacity)), 0.25);
  await labels[texts.indexOf('batch')]!.click();
  await page.waitForFunction((colour) => document.querySelectorAll(`g.mean_marks path[stroke="${colour}"]`).length > 0, {}, batch);
  t.deepEqual((await charts(page)).map((c) => [...c.means].sort()), before.map((c) => [...c.means].sort()));
  t.deepEqual(errors, []);
  await page.close();
});

inBrowser('the metric selector changes the plotted field; each seed\'s line shows on demand; the tooltip says run, step and value; the wheel zooms on steps', async (t) => {
  const {alone} = await htmlReport(t, ['classify']);
  const {page, errors} = await open(alone);
  // Offered: the curves' columns that have values, and each probe group.
  const options = await page.$$eval('figure.chart:first-of-type select[name=metric] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
  t.deepEqual(options, ['test_accuracy', 'test_loss', 'train_loss', 'train_accuracy', 'probe:activation_percentiles', 'probe:dead_units']);
  t.is((await charts(page))[0]!.y, 'test accuracy');
  await page.select('figure.chart:first-of-type select[name=metric]', 'test_loss');
  await page.waitForFunction(() => [...document.querySelectorAll('figure.chart:first-of-type .role-title-text')].some((e) => e.textContent === 'Test loss vs training step'));
  t.is((await charts(page))[0]!.y, 'test loss (log scale)');
  // The heading above and the caption below follow the metric.
  t.is(await page.$eval('figure.chart', (f) => f.previousElementSibling!.textContent), 'Test loss vs training step');
  t.regex(await page.$eval('figure.chart', (f) => f.nextElementSibling!.textContent!), /^Figure 1\. Test loss vs step; line = mean over the seeds that finished ok/);
  // none · sigmoid at step 200: test loss (0.60 + 0.56 + 0.52)/3 = 0.56, from curves.csv.
  const curves = readCsv(join(CLASSIFY, 'curves.csv')).filter((r) => r.norm === 'none' && r.activation === 'sigmoid' && r.step === '200');
  const expected = curves.reduce((s, r) => s + Number(r.test_loss), 0) / curves.length;
  t.is(Number(expected.toFixed(6)), 0.56);
  const at200 = (await meanPoints(page, 0)).filter((p) => p.label === 'none · sigmoid' && p.x === 200);
  t.deepEqual(at200.map((p) => Number(p.y.toFixed(6))), [0.56]);

  // Each seed: one line per run with a finite value (ok and diverged runs; the failed run has none).
  await page.click('figure.chart:first-of-type input[name=seeds]');
  await page.waitForFunction(() => document.querySelectorAll('figure.chart:first-of-type g.seeds_marks path').length > 0);
  const withValues = new Set(readCsv(join(CLASSIFY, 'curves.csv')).filter((r) => Number.isFinite(Number(r.test_loss)) && r.test_loss !== '').map((r) => r.run_id));
  t.is((await charts(page))[0]!.seeds, withValues.size);

  // The tooltip of the point nearest the pointer.
  const frame = (await page.$('figure.chart:first-of-type g.mean_marks path'))!;
  const box = (await frame.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('#vg-tooltip-element.visible', {timeout: 5000});
  const tip = await page.$eval('#vg-tooltip-element', (e) => e.textContent ?? '');
  t.regex(tip, /run.*(mean of \d runs?|\w{12} \(seed \d)/);
  t.regex(tip, /step\d+/);
  t.regex(tip, /test loss\d/);

  // The wheel zooms the step axis of every panel.
  const domain = () => page.evaluate(() => window.normbench.views.get(0)!.signal('zoom_x') as number[] | undefined);
  t.falsy((await domain())?.length);
  await page.mouse.wheel({deltaY: -400});
  await page.waitForFunction(() => ((window.normbench.views.get(0)!.signal('zoom_x') as number[] | undefined) ?? []).length === 2);
  const [lo, hi] = (await domain())!;
  t.true(lo! > 0 || hi! < 200, `zoomed to [${lo}, ${hi}]`);
  t.deepEqual(errors, []);
  await page.close();
});

inBrowser('tables sort by a click on a column\'s header, numbers as numbers and no value last', async (t) => {
  const {alone} = await htmlReport(t, ['classify']);
  const {page} = await open(alone);
  // The table of means (the first is the provenance).
  const table = (await page.$$('table.sortable'))[1]!;
  const i = await table.$$eval('th', (hs) => hs.map((h) => h.textContent).indexOf('final acc %'));
  t.true(i > 0);
  const values = () => table.$$eval('tbody tr', (rows, c) => rows.map((r) => (r as HTMLTableRowElement).cells[c as number]!.textContent), i);
  const th = (await table.$$('th'))[i]!;
  await th.click();
  const up = await values();
  const numbers = (cells: Array<string | null>) => cells.filter((c) => c !== '—').map((c) => Number.parseFloat(c!));
  t.deepEqual(numbers(up), [...numbers(up)].sort((a, b) => a - b));
  await th.click();
  const down = await values();
  t.deepEqual(numbers(down), [...numbers(down)].sort((a, b) => b - a));
  t.is(await th.evaluate((e) => e.getAttribute('aria-sort')), 'descending');
  await page.close();
});

// ── Merged shards, several directories ─────────────────────────────────────────────────────

const GRID = `name: html-grid
question: Does the report open for merged shards and two directories?
dataset: {name: synthetic, features: 6, classes: 3, train_size: 60, test_size: 30}
model: {kind: mlp, hidden: [6]}
train: {optimizer: sgd, lr: 0.2, batch_size: 10, steps: 20, eval_every: 10}
grid:
  norm: [none, batch, layer]
  seed: [1, 2]
`;

inBrowser('merged shards, and two results directories in one report: a line per condition and directory, a directory hidden by its legend entry', async (t) => {
  const dir = tempDir('normbench-html-grid-');
  writeFileSync(join(dir, 'grid.yaml'), GRID);
  for (const i of [1, 2]) t.is((await nb(['run', 'grid.yaml', '--shard', `${i}/2`, '--quiet', '--backend', 'cpu', '--workers', '1'], dir)).code, 0);
  t.is((await nb(['merge', 'results/html-grid-shard-1-of-2', 'results/html-grid-shard-2-of-2', '--out', 'merged'], dir)).code, 0);
  mkdirSync(join(dir, 'again'));
  cpSync(join(dir, 'merged'), join(dir, 'again', 'merged'), {recursive: true});

  const merged = await htmlReport(t, ['merged'], dir);
  let {page, requests, errors} = await open(merged.alone);
  t.deepEqual([requests, errors], [[], []]);
  const colours = normColours(['none', 'batch', 'layer']);
  t.deepEqual([...(await charts(page))[0]!.means].sort(), [...colours.values()].sort());
  t.is((await charts(page))[0]!.means.length, 3);
  await page.close();

  const both = await htmlReport(t, ['merged', 'again/merged', '--out', 'both'], dir);
  ({page, requests, errors} = await open(both.alone));
  t.deepEqual([requests, errors], [[], []]);
  t.is((await charts(page))[0]!.means.length, 6);
  const labels = await page.$$('figure.chart:first-of-type g.legend-source-labels text');
  t.deepEqual(await Promise.all(labels.map((l) => l.evaluate((e) => e.textContent))), ['merged', 'again/merged']);
  await labels[1]!.click();
  await page.waitForFunction(() => document.querySelectorAll('figure.chart:first-of-type g.mean_marks path').length === 3);
  t.is((await charts(page))[1]!.means.length, 3);
  await page.close();
});

// ── Every bundled experiment ───────────────────────────────────────────────────────────────

inBrowser('every bundled experiment\'s committed results: each report.html opens offline with every chart drawn, a 54-run one in under 2 s', async (t) => {
  const names = readdirSync(REFERENCE, {withFileTypes: true}).filter((d) => d.isDirectory()).map((d) => d.name);
  t.true(names.length >= 17);
  const work = tempDir('normbench-html-ref-');
  const times: string[] = [];
  for (const name of names) {
    cpSync(join(REFERENCE, name), join(work, name), {recursive: true});
    const {alone} = await htmlReport(t, [name], work);
    const {page, requests, errors, rendered} = await open(alone);
    t.deepEqual([requests, errors], [[], []], name);
    const drawn = await charts(page);
    const figures = (readFileSync(join(work, name, 'report.md'), 'utf8').match(/^!\[/gm) ?? []).length;
    t.is(drawn.length, figures, `${name}: a chart for each plot of report.md`);
    for (const chart of drawn) t.true(chart.marks > 0, `${name}: ${chart.title} drew nothing`);
    const runs = (JSON.parse(readFileSync(join(work, name, 'manifest.json'), 'utf8')) as {runs: unknown[]}).runs.length;
    times.push(`${name} (${runs} runs): ${rendered} ms`);
    if (runs === 54) t.true(rendered < 2000, `${name}: ${runs} runs rendered in ${rendered} ms`);
    if (name === 'norm-batch-size') {
      // The sweep plots answer legend clicks too: batch's line goes from each.
      const batch = normColours(['batch']).get('batch')!;
      const sweepLines = () => page.$$eval('figure.chart', (fs, colour) => fs.slice(2).map((f) => f.querySelectorAll(`g.mark-line path[stroke="${colour}"]`).length), batch);
      t.deepEqual(await sweepLines(), [1, 1]);
      const labels = await page.$$('figure.chart:nth-of-type(3) g.legend-norm-labels text');
      const texts = await Promise.all(labels.map((l) => l.evaluate((e) => e.textContent)));
      await labels[texts.indexOf('batch')]!.click();
      await page.waitForFunction((colour) => !document.querySelector(`g.mark-line path[stroke="${colour}"]`), {}, batch);
      t.deepEqual(await sweepLines(), [0, 0]);
    }
    if (name === 'bn-depth') {
      // 122 layers: the probe shows one at a time, a selector offers the others.
      const figure = (await page.$$('figure.chart')).at(-1)!;
      const rows = await figure.$$eval('select[name=row] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
      t.is(rows.length, 123);
      t.is(rows.at(-1), '');
      await (await figure.$('select[name=row]'))!.select('layer output/kernel');
      await page.waitForFunction(() => [...document.querySelectorAll('figure.chart:last-of-type .role-row-header text')].some((e) => e.textContent === 'layer output/kernel'));
      t.deepEqual(errors, []);
    }
    await page.close();
  }
  t.log(times.join('\n'));
});
