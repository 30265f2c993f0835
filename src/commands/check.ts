import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../cli.js';
import {findExperiment} from '../config/find.js';
import {loadExperiment} from '../config/load.js';
import {UserError} from '../errors.js';
import {checkClaims, checkJson, checkText, type LocateClaim} from '../results/check.js';
import {readResults} from '../results/read.js';
import type {Claim} from '../spec/experiment.js';

export default class Check extends BaseCommand {
  static override summary = 'Decide an experiment’s claims from its results: holds, contradicted or inconclusive, each with its paired differences over seeds.';
  static override description =
    'Each claim compares a summary metric of some runs with another column of the same runs, or with the same metric ' +
    'in another condition, paired by seed (same initial weights, same data order). Over the seeds: the mean difference ' +
    'and its 95 % confidence interval (Student’s t). A claim holds when the interval lies beyond its margin in the ' +
    'stated direction, is contradicted when it lies beyond the margin the other way, and is inconclusive otherwise ' +
    '(then check says how many seeds would likely settle it).\n\n' +
    'The claims are those of the experiment the results were made from (its `claims:` block in the manifest), or of ' +
    '--experiment: wording and claims are not part of a run, so they can be checked again without training.\n\n' +
    'Exit codes: 0 every claim holds · 1 a claim did not hold (contradicted or inconclusive) · 2 bad input (not a ' +
    'results directory, no claims, a metric or condition the results do not have).';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> check results/bn-inference',
    '<%= config.bin %> check results/bn-inference --experiment experiments/bn-inference.yaml --json',
  ];
  static override args = {
    results: Args.string({description: 'The results directory.', required: true}),
  };
  static override flags = {
    experiment: Flags.string({char: 'e', summary: 'Take the claims from this experiment (a YAML file or a bundled experiment’s name) instead of the results’ manifest.'}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Check);
    const results = readResults(args.results);
    let claims: readonly Claim[] | undefined = results.manifest.config.claims;
    let locate: LocateClaim | undefined;
    let from = `${args.results}/manifest.json`;
    if (flags.experiment !== undefined) {
      const found = findExperiment(flags.experiment);
      const loaded = loadExperiment(found.file);
      claims = loaded.config.claims;
      locate = (path) => loaded.sources.locate(path);
      from = found.file;
    }
    if (!claims?.length) {
      throw new UserError(`${from} declares no claims: add a \`claims:\` list to the experiment (see \`normbench check --help\`), or name one with --experiment`, undefined, 'usage');
    }
    const report = checkClaims(results, claims, locate);
    this.log(checkText(report));
    if (!report.ok) process.exitCode = 1;
    return checkJson(report);
  }
}
