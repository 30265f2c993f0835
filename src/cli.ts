// What every command shares. Bad input (a UserError, or a flag oclif rejects) is printed for
// people on stderr and, with --json, as a JSON error object on stdout too, so that a CI log
// always says what went wrong and a program can read it; then exit 2 (exit 1 for an operational
// failure such as a network that is down). An interrupted grid
// (Ctrl-C, SIGTERM) says what was kept and how to continue, and exits 130 / 143.

import {Command, Errors, Flags} from '@oclif/core';
import type {LoadedExperiment} from './config/load.js';
import {Interrupted, OperationalError, throwIfAny, UserError, type ErrorJson} from './errors.js';
import {ClaimNotApplicable, gridClaimProblems} from './results/check.js';
import {nearest} from './suggest.js';
import {commandLine, GridInterrupted} from './run/signals.js';
import {BACKEND_CHOICES} from './spec/names.js';

export const sharedFlags = {
  set: Flags.string({
    summary: 'Override a key of the experiment: --set train.lr=0.05 (value read as YAML; repeatable).',
    multiple: true,
    // One value per --set: `validate --set k=v file` reads file as the experiment, not a second value.
    multipleNonGreedy: true,
    helpValue: 'key.path=value',
  }),
};

export const backendFlag = Flags.string({
  summary: 'Compute backend; auto = wasm for models up to 200 units wide and convnets up to 2.5 M multiply-adds of convolution a step, tensorflow (tfjs-node) for larger ones, each falling back to the other, then cpu.',
  options: [...BACKEND_CHOICES],
  default: 'auto',
});

/**
 * A loaded experiment's claims checked against its grid (the metrics and values they name must be
 * ones the runs will have), before anything trains or is written.
 */
export function checkGridClaims(loaded: LoadedExperiment, options: {narrowed?: boolean; warn?: (text: string) => void} = {}): void {
  const problems = gridClaimProblems(loaded.expanded, (path) => loaded.sources.locate(path));
  // With --set the grid may leave out runs a claim is about: such a claim does not apply (check
  // will say so), which is no reason not to train.
  const skipped = options.narrowed ? problems.filter((p) => p instanceof ClaimNotApplicable) : [];
  for (const p of skipped) options.warn?.(`warning: ${p.message} — this claim does not apply to the grid as --set changed it; \`normbench check\` cannot decide it on these results`);
  throwIfAny(problems.filter((p) => !skipped.includes(p)), loaded.sources.layers.map((l) => l.file));
}

/** The JSON printed on stdout for errors under --json. */
export interface ErrorReport {
  error: ErrorJson & {exit_code: number};
  /** Every error found (several when a file has several problems). */
  errors: ErrorJson[];
}

/** oclif's own usage errors (unknown flag, bad option value, missing argument) as UserErrors. */
function asUserError(error: Error & {oclif?: {exit?: number}}): UserError | undefined {
  if (error instanceof UserError) return error;
  if (error instanceof Errors.CLIError && error.oclif?.exit === 2) {
    return new UserError(error.message.replace(/\n\s*See more help with --help\s*$/, '').trim(), undefined, 'usage');
  }
  return undefined;
}

export abstract class BaseCommand extends Command {
  /** Stop anything drawing on the terminal before an error is printed (set by commands that draw). */
  protected cleanup?: () => void;

  /** A message for people, on stderr — also under --json, which oclif's logToStderr would silence. */
  protected tell(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  protected writeJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    this.cleanup?.();
    // An unknown flag: the nearest of this command's flags.
    const flag = /^Nonexistent flags?: (--?[\w-]+)/.exec(error.message);
    if (flag && error instanceof Errors.CLIError) {
      const known = Object.keys(this.ctor.flags ?? {}).concat(this.ctor.enableJsonFlag ? ['json'] : []).map((f) => `--${f}`);
      const guess = nearest(flag[1]!, known);
      error.message = `${error.message.split('\n')[0]}${guess ? ` — did you mean "${guess}"?` : ''} (flags of this command: ${known.join(', ')})`;
    }
    const user = asUserError(error);
    if (user) {
      this.tell(`error: ${user.message}`);
      if (this.jsonEnabled()) {
        const errors = user.all.map((e) => e.toJSON());
        this.writeJson({error: {...errors[0]!, exit_code: 2}, errors} satisfies ErrorReport);
      }
      this.exit(2);
    }
    if (error instanceof OperationalError) {
      this.tell(`error: ${error.message}`);
      if (this.jsonEnabled()) {
        const json = {code: error.code, message: error.message, file: null, line: null, column: null, key: null};
        this.writeJson({error: {...json, exit_code: error.exitCode}, errors: [json]});
      }
      this.exit(error.exitCode);
    }
    if (error instanceof Interrupted) {
      const code = error.exitCode;
      if (error instanceof GridInterrupted) {
        const n = error.dropped.length;
        const dropped = n === 0 ? '' : n === 1 ? ' The run in progress was dropped.' : ` The ${n} runs in progress were dropped.`;
        this.tell(
          `\ninterrupted (${error.signal}): kept ${error.kept} finished run${error.kept === 1 ? '' : 's'} of ${error.total} in ${error.outDir}.${dropped}\n` +
            `Continue with the same command — it resumes where this one stopped:\n  ${commandLine()}`,
        );
        if (this.jsonEnabled()) {
          this.writeJson({interrupted: {signal: error.signal, exit_code: code, out: error.outDir, kept: error.kept, total: error.total, resume: commandLine()}});
        }
      } else {
        this.tell(`\ninterrupted (${error.signal})`);
      }
      this.exit(code);
    }
    return super.catch(error);
  }
}
