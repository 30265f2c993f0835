import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../cli.js';

export default class Report extends BaseCommand {
  static override summary = 'Tables and plots of results: report.md and plots/*.svg (--html: report.html to explore), and the table per condition on stdout.';
  static override description =
    'A condition is a grid cell without its seed. For each, over the seeds that finished: mean ± sd and a 95 % ' +
    'interval of final and best test accuracy, final test loss and training-loss AUC, the steps to each target, and the ' +
    'counts of diverged and failed runs and of ok runs that never left chance level. Intervals stay within what a ' +
    'metric can be: Student\u2019s t on the logit scale for accuracies, on the log scale for losses; steps to a target ' +
    'are a median over the runs, those that never reached it counting as past their last step. Plots: test ' +
    'accuracy (test loss for a regression task) and training loss vs step, one line per condition (mean over seeds, ' +
    'min–max band); a summary metric vs each numeric grid factor (--x, --y: one line per condition, its interval as a ' +
    'band, a log axis when the values span a decade); and, when the directory has them, diagnostics.csv (one plot per ' +
    'probe) and gradient_flow.csv (‖∂L/∂h_t‖ vs t).\n\n' +
    'With a baseline (--baseline norm=none, or the experiment’s report.baseline): every other condition paired with it ' +
    'seed by seed — the mean difference, its 95 % CI and how many seeds agree in sign. When the experiment declares ' +
    'claims, the report includes `normbench check`’s verdicts.\n\n' +
    'A tuned experiment (tune:) gets a Tuning section: the metric at every value per condition, the chosen value, ' +
    'the sensitivity plot (plots/tuning-sensitivity.svg: metric vs value on a log axis, the full budget apart from ' +
    'earlier rungs) and the range of good values (within 5 % of the best loss or 1 point of the best accuracy, and its ' +
    'width in decades).\n\n' +
    'Reads results files only, so it takes merged shards and results from other machines. Several directories are ' +
    'compared in one report (their conditions kept apart, told apart by dash); they need --out.\n\n' +
    'With --html, report.html beside report.md: the same report as one self-contained page to explore offline ' +
    '(vega, vega-lite and vega-embed and the data inside it; it makes no request, and opens from file://): tooltips ' +
    'with the run, step and value; a legend click hides or shows a norm in every chart; a selector for the metric ' +
    '(training, validation and test loss and accuracy, every probe); each seed\u2019s line on demand; zoom on the ' +
    'step axis; tables sorted by a click on a column.\n\n' +
    'Exit codes: 0 done · 2 bad input (not a results directory, a corrupt file, several directories without --out).';
  static override enableJsonFlag = true;
  static override strict = false;
  static override examples = [
    '<%= config.bin %> report results/quickstart',
    '<%= config.bin %> report results/quickstart --diagnostic activation_percentiles --out reports/quickstart',
    '<%= config.bin %> report results/norm-batch-size --x train.batch_size --y final_test_accuracy --y train_loss_auc',
    '<%= config.bin %> report results/bn-wasm results/bn-tensorflow --out reports/bn-backends',
    '<%= config.bin %> report results/quickstart --html',
  ];
  static override args = {
    dirs: Args.string({description: 'Results directories (one or more).', required: true}),
  };
  static override flags = {
    out: Flags.string({char: 'o', summary: 'Directory for report.md and plots/ (required with several directories).', defaultHelp: async () => 'the results directory'}),
    diagnostic: Flags.string({
      char: 'd',
      summary: 'Plot only this diagnostic of diagnostics.csv: a probe, or <name>_percentiles for a p15/p50/p85 set (repeatable).',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'NAME',
    }),
    baseline: Flags.string({
      char: 'b',
      summary: 'Pair every condition with this one, seed by seed: mean paired difference, 95 % CI and the seeds that agree in sign (repeatable for several factors; default the experiment’s report.baseline).',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'FACTOR=VALUE',
    }),
    x: Flags.string({
      summary: 'Sweep plots against this numeric grid factor (repeatable; default every numeric factor, e.g. train.lr).',
      multiple: true,
      // One value per flag: `report --x train.lr results/x` reads results/x as the directory.
      multipleNonGreedy: true,
      helpValue: 'FACTOR',
    }),
    html: Flags.boolean({summary: 'Write report.html too: the report as one self-contained interactive page that opens offline.'}),
    y: Flags.string({
      summary: 'Sweep plots of this metric, a summary.csv column (repeatable; default final_test_accuracy, or final_test_loss without accuracy, and train_loss_auc).',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: 'METRIC',
    }),
  };

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Report);
    // The plotting libraries (vega) load here, not when the CLI starts.
    const {makeReport, reportJson, reportText} = await import('../results/report.js');
    const {parseBaseline} = await import('../results/report-paired.js');
    const baseline = flags.baseline ? parseBaseline(flags.baseline) : undefined;
    const report = await makeReport(argv as string[], {out: flags.out, diagnostics: flags.diagnostic, baseline, sweep: {x: flags.x, y: flags.y}, html: flags.html});
    this.log(reportText(report));
    return reportJson(report);
  }
}
