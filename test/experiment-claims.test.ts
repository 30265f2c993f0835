// The bundled experiments' README sections state their claims' verdicts as `check` decides them
// on the committed results (results/reference/<name>): this test keeps the two equal, so a
// sentence of experiments/README.md cannot say more than the numbers do.
// backend-independent: reads committed results files only.

import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import test from './ava.js';
import {loadExperiment} from '../src/config/load.js';
import {checkClaims} from '../src/results/check.js';
import {readResults} from '../src/results/read.js';
import {REPO} from './helpers.js';

const README = readFileSync(join(REPO, 'experiments', 'README.md'), 'utf8');

/** The verdicts a README section states: lines `- **holds** \`id\`: …`. */
function statedVerdicts(name: string): Map<string, string> {
  const start = README.indexOf(`## ${name}.yaml`);
  if (start < 0) return new Map();
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  return new Map([...section.matchAll(/^- \*\*(holds|contradicted|inconclusive)\*\* `([a-z0-9-]+)`/gm)].map((m) => [m[2]!, m[1]!]));
}

const withClaims = readdirSync(join(REPO, 'experiments'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({name: f.replace(/\.yaml$/, ''), loaded: loadExperiment(join(REPO, 'experiments', f))}))
  .filter((e) => e.loaded.config.claims?.length);

test('every claim of a bundled experiment is stated in its README section with check\'s verdict on the committed results', (t) => {
  t.true(withClaims.length > 0, 'some bundled experiment declares claims');
  for (const {name, loaded} of withClaims) {
    const dir = join(REPO, 'results', 'reference', name);
    // CI-only experiments (smoke-claims) are decided on a fresh run by .ci/run, not from committed results.
    if (!existsSync(dir)) {
      t.is(statedVerdicts(name).size, 0, `${name}: verdicts stated without committed results to decide them`);
      continue;
    }
    const report = checkClaims(readResults(dir), loaded.config.claims!);
    const decided = new Map(report.claims.map((c) => [c.claim.id, c.verdict as string]));
    t.deepEqual(statedVerdicts(name), decided, `${name}: experiments/README.md against normbench check`);
  }
});
