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
  if (loc.line !== undefined) where += `:${loc.line}:${loc.col ?? 1}`;
  return loc.path ? `${where} (${loc.path})` : where;
}

export class UserError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.name = 'UserError';
  }
}

/** Several user errors found in one pass, reported together. */
export class UserErrors extends UserError {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'UserErrors';
  }
}
