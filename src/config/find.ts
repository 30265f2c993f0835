// Which file an experiment argument names. A path to an existing file is that file; otherwise a
// bare name (`quickstart`) is a bundled experiment, found wherever normbench is installed. A
// local file of the same name (./quickstart or ./quickstart.yaml) wins over the bundled one,
// and the choice is said, so that nobody runs one while thinking of the other.

import {existsSync, readdirSync, statSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {UserError} from '../errors.js';
import {nearest} from '../suggest.js';
import {PACKAGE_ROOT} from '../version.js';

export const BUNDLED_DIR = join(PACKAGE_ROOT, 'experiments');

/** Names of the bundled experiments (their file names without .yaml), sorted. */
export function bundledExperiments(): string[] {
  return readdirSync(BUNDLED_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}

export interface FoundExperiment {
  file: string;
  /** Said to the user when the choice was not obvious. */
  note?: string;
}

const isFile = (p: string) => statSync(p, {throwIfNoEntry: false})?.isFile() ?? false;

export function findExperiment(arg: string): FoundExperiment {
  const bare = /^[a-z0-9][a-z0-9._-]*$/.test(arg) ? arg.replace(/\.yaml$/, '') : undefined;
  const bundled = bare !== undefined && bundledExperiments().includes(bare) ? join(BUNDLED_DIR, `${bare}.yaml`) : undefined;
  const locals = bare === undefined ? [arg] : [arg, `${bare}.yaml`];
  const local = locals.find(isFile);
  if (local) {
    const sameAsBundled = bundled !== undefined && resolve(local) === resolve(bundled);
    const note = bundled && !sameAsBundled
      ? `using ${local} from this directory; the bundled experiment "${bare}" (${bundled}) has the same name`
      : undefined;
    return {file: local, note};
  }
  if (bundled) return {file: bundled};
  if (existsSync(arg)) return {file: arg}; // a directory or unreadable: loading says what is wrong
  const guess = bare !== undefined ? nearest(bare, bundledExperiments()) : undefined;
  const hint = guess ? ` — did you mean the bundled experiment "${guess}"?` : '';
  throw new UserError(`file not found, and not a bundled experiment${hint} (bundled: ${bundledExperiments().join(', ')})`, {file: arg}, 'path');
}
