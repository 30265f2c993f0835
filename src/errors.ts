// Errors meant for users: what was wrong, where, and what would be right.
// A UserError exits with code 2 (bad input); anything else is a bug or a failed run.

/** Where in the user's input a problem sits. */
export interface SourceLocation {
  /** File the value came from, or a pseudo-source such as `--set`. */
  file: string;
  line?: number;
  col?: number;
  /** Key path inside the experiment, e.g. `train.lr` or `grid.norm[1]`. */
  path?: string;
}

export function formatLocation(loc: SourceLocation): string {
  let where = loc.file;
  if (loc.line !== undefined) where += loc.col === undefined ? `:${loc.line}` : `:${loc.line}:${loc.col}`;
  return loc.path ? `${where} (${loc.path})` : where;
}

/**
 * What kind of bad input, for machines (`--json`):
 * - `yaml`: the text is not valid YAML (syntax, duplicate keys, aliases, tags);
 * - `config`: valid YAML that is not a valid experiment (unknown key, wrong type, bad grid);
 * - `usage`: a bad flag or argument;
 * - `path`: a file or directory that cannot be read or written;
 * - `data`: a data set that is missing or corrupt;
 * - `results`: a results directory that cannot be read (verify, merge, report);
 * - `conflict`: existing results that a run would overwrite or mix with, or a file `init` would overwrite.
 */
export const ERROR_CODES = ['yaml', 'config', 'usage', 'path', 'data', 'results', 'conflict'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The machine-readable form of one error (`--json`). */
export interface ErrorJson {
  code: ErrorCode;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  key: string | null;
}

export class UserError extends Error {
  readonly exitCode = 2;
  readonly code: ErrorCode;
  /** The message without its location prefix. */
  readonly detail: string;

  constructor(
    message: string,
    readonly location?: SourceLocation,
    code?: ErrorCode,
  ) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.name = 'UserError';
    this.detail = message;
    this.code = code ?? (location ? 'config' : 'usage');
  }

  /** Every error this one stands for (itself, or each of a UserErrors). */
  get all(): UserError[] {
    return [this];
  }

  toJSON(): ErrorJson {
    const loc = this.location;
    return {
      code: this.code,
      message: this.detail,
      file: loc?.file ?? null,
      line: loc?.line ?? null,
      column: loc?.col ?? null,
      key: loc?.path ?? null,
    };
  }
}

/** Several user errors found in one pass, reported together. */
export class UserErrors extends UserError {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('\n'), undefined, errors[0]?.code);
    this.name = 'UserErrors';
  }

  override get all(): UserError[] {
    return this.errors.flatMap((e) => e.all);
  }
}

/**
 * Throw the errors found, if any — one as itself, several together — with repeats dropped and
 * in file order: by the position of their file in `fileOrder` (parents first, then the
 * experiment, then `--set`), then by line and column.
 */
export function throwIfAny(errors: UserError[], fileOrder: readonly string[] = []): void {
  const unique = [...new Map(errors.flatMap((e) => e.all).map((e) => [e.message, e])).values()];
  const rank = (e: UserError): number => {
    const i = e.location ? fileOrder.indexOf(e.location.file) : -1;
    return i < 0 ? fileOrder.length : i;
  };
  unique.sort((a, b) => rank(a) - rank(b) || (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0));
  if (unique.length === 1) throw unique[0]!;
  if (unique.length > 1) throw new UserErrors(unique);
}

/**
 * Something went wrong that is not the input's fault and not a bug: a network that fails, a
 * server that answers 404. Printed like a user error, with `code` in --json; exit code 1.
 */
export class OperationalError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'OperationalError';
  }
}

/** Training stopped by a signal (Ctrl-C, SIGTERM): the run in progress is dropped. */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }

  /** The conventional exit code: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
  get exitCode(): number {
    return this.signal === 'SIGTERM' ? 143 : this.signal === 'SIGHUP' ? 129 : 130;
  }
}
