// Run ids are what the committed references are compared by (`verify`, resume): an option added
// to the model or a norm must leave every existing run's id as it was while it is at its default.
// Every committed reference's recorded config expands, with today's code, to exactly the run ids
// its manifest recorded — the tuned one through the choices its tuning.csv made, and its tuning
// stage's first rung (every value) too — and every bundled experiment's runs are among them.

import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import test from '../ava.js';
import {bundledExperiments, BUNDLED_DIR} from '../../src/config/find.js';
import {expandResolved} from '../../src/config/expand.js';
import {loadExperiment} from '../../src/config/load.js';
import type {ExpandedExperiment, ExperimentConfig} from '../../src/spec/experiment.js';
import {readTuningChoices, TUNING_DIR} from '../../src/results/tuning.js';
import {rungRuns, tunedExpanded, tuningGroups} from '../../src/run/tuning.js';
import {tuneSpec} from '../../src/spec/tune.js';
import {REPO} from '../helpers.js';

const REFERENCE = join(REPO, 'results', 'reference');

interface Recorded {
  config: ExperimentConfig;
  grid: {run_ids: string[]};
}
const manifestOf = (dir: string): Recorded => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Recorded;
const runIdsOf = (dir: string): string[] => manifestOf(dir).grid.run_ids;

const referenced = bundledExperiments().filter((name) => existsSync(join(REFERENCE, name, 'manifest.json')));

test('the bundled experiments have committed references to compare with', (t) => {
  t.true(referenced.length >= 10, `found ${referenced.join(', ')}`);
});

/** The run ids of an expanded experiment; a tuned one's at the values its reference's tuning chose. */
function idsOf(config: ExperimentConfig, expanded: ExpandedExperiment, reference: string): string[] {
  if (!config.tune) return expanded.runs.map((r) => r.run_id);
  const tune = tuneSpec(config.tune);
  return tunedExpanded(expanded, tune, readTuningChoices(reference, tune)!).runs.map((r) => r.run_id);
}

for (const name of referenced) {
  test(`${name}: today's expansion gives the run ids of its committed reference`, (t) => {
    const reference = join(REFERENCE, name);
    const recorded = manifestOf(reference);
    const expanded = expandResolved(recorded.config);
    const ids = idsOf(recorded.config, expanded, reference);
    t.deepEqual(ids, recorded.grid.run_ids);
    if (recorded.config.tune) {
      const tune = tuneSpec(recorded.config.tune);
      const firstRung = rungRuns(expanded, tune, tuningGroups(expanded, tune), 1, () => tune.values).map((r) => r.run_id);
      const tuning = new Set(runIdsOf(join(reference, TUNING_DIR)));
      t.true(firstRung.length > 0);
      t.deepEqual(firstRung.filter((id) => !tuning.has(id)), [], 'every first-rung tuning run is in the reference tuning');
    }
    // The bundled file's runs (the reference may have trained more seeds of it, with --set).
    const bundled = loadExperiment(join(BUNDLED_DIR, `${name}.yaml`));
    const mine = idsOf(bundled.config, bundled.expanded, reference);
    t.true(mine.length > 0);
    t.deepEqual(mine.filter((id) => !ids.includes(id)), [], 'the bundled experiment\'s runs are in the reference');
  });
}
