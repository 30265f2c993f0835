import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../cli.js';
import {UserError} from '../errors.js';
import {DEFAULT_ATOL, DEFAULT_RTOL, verifyDirs, verifyText} from '../results/verify.js';

export default class Verify extends BaseCommand {
  static override summary = 'Check that a results directory reproduces a reference: the CI gate.';
  static override description =
    'Compares the experiment (config hash), the set of runs (by run_id) and every summary metric — with --curves, ' +
    'every curve point too — within |now − reference| ≤ atol + rtol·|reference|. Timing columns are never compared. ' +
    `Tolerances, rtol and atol each on its own: --rtol/--atol when given (for every metric); otherwise the experiment’s ` +
    '`verify:` block, the metric’s own (verify.metrics.<metric>) then the block’s (verify.rtol, verify.atol); otherwise ' +
    `rtol ${DEFAULT_RTOL}, atol ${DEFAULT_ATOL}. The closing line names each tolerance applied and where it came from; ` +
    '--json has every compared metric’s (tolerance.per_metric).\n\n' +
    'Exit codes: 0 within tolerance · 1 drift, missing or extra runs, or incomplete results · 2 bad input ' +
    '(not a results directory, a corrupt file, an incompatible results format).';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> verify results/ci --reference results/reference/ci',
    '<%= config.bin %> verify results/ci --reference results/reference/ci --curves --rtol 1e-3',
    '<%= config.bin %> verify results/ci --reference results/reference/ci --metric final_test_accuracy --atol 0.01',
  ];
  static override args = {
    results: Args.string({description: 'The results directory to check.', required: true}),
  };
  static override flags = {
    reference: Flags.string({char: 'r', summary: 'The reference results directory.', required: true}),
    // Left out, a flag is not one number: the help says what applies instead.
    rtol: Flags.string({summary: 'Allowed relative difference, for every metric (over the YAML’s).', defaultHelp: async () => `the YAML’s verify:, else ${DEFAULT_RTOL}`}),
    atol: Flags.string({summary: 'Allowed absolute difference, for every metric (over the YAML’s).', defaultHelp: async () => `the YAML’s verify:, else ${DEFAULT_ATOL}`}),
    metric: Flags.string({char: 'm', summary: 'Compare only this metric (a results column; repeatable).', multiple: true}),
    curves: Flags.boolean({summary: 'Compare every curve point too, not only the summary.'}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Verify);
    const tolerance = (name: 'rtol' | 'atol') => {
      const text = flags[name];
      if (text === undefined) return undefined;
      const x = Number(text);
      if (text.trim() === '' || !Number.isFinite(x) || x < 0) throw new UserError(`--${name} takes a number ≥ 0, got "${text}"`, undefined, 'usage');
      return x;
    };
    const options = {rtol: tolerance('rtol'), atol: tolerance('atol'), metrics: flags.metric, curves: flags.curves};
    const report = verifyDirs(args.results, flags.reference, options);
    this.log(verifyText(report));
    if (!report.ok) process.exitCode = 1;
    return report;
  }
}
