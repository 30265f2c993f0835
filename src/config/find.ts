// Which file an experiment argument names. A path to an existing file is that file; otherwise a
// bare name (`quickstart`) is a bundled experiment, found wherever normbench is installed. A
// local file of the same name (./quickstart or ./quickstart.yaml) wins over the bundled one,
// and the choice is said, so that nobody runs one while thinking of the other.

import {existsSync, readdirSync, statSync} from 'node:fs';
import {isAbsolute, join, normalize, resolve, sep} from 'node:path';
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

/** Folders of the package whose YAML files `extends` may name by their path in the package. */
const FRAGMENT_DIRS = ['configs', 'experiments'] as const;

/** The bundled YAML files by their path in the package (configs/models/mlp-3x100.yaml, …), sorted. */
export function bundledFragments(): string[] {
  const walk = (dir: string): string[] => readdirSync(join(PACKAGE_ROOT, dir), {withFileTypes: true}).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return walk(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
  return FRAGMENT_DIRS.filter((d) => existsSync(join(PACKAGE_ROOT, d))).flatMap(walk).sort();
}

export type FoundParent = {file: string} | {notFound: string};

/**
 * The file an `extends` entry names, from the directory of the file that names it. Tried in order:
 * 1. the path relative to that file (as written: `quickstart` does not find ./quickstart.yaml,
 *    so a copy of a bundled experiment can extend the original under the same name);
 * 2. a bundled experiment by name (`quickstart`, or `quickstart.yaml`), as `run quickstart` finds it;
 * 3. a bundled file by its path in the package (`configs/models/mlp-3x100.yaml`).
 * So an experiment outside the clone (after a global install) can build on the bundled ones.
 * When nothing matches, `notFound` says everything that was tried (nothing for an absolute path).
 */
export function findParent(written: string, fromDir: string): FoundParent {
  const local = resolve(fromDir, written);
  if (isFile(local)) return {file: local};
  const bare = /^[a-z0-9][a-z0-9._-]*$/.test(written) ? written.replace(/\.yaml$/, '') : undefined;
  const experiments = bundledExperiments();
  if (bare !== undefined && experiments.includes(bare)) return {file: join(BUNDLED_DIR, `${bare}.yaml`)};
  // Normalised, so that `configs/../../x` cannot leave the package.
  const inPackage = isAbsolute(written) ? undefined : normalize(written).split(sep).join('/');
  const fragment = inPackage !== undefined && FRAGMENT_DIRS.some((d) => inPackage.startsWith(`${d}/`)) ? join(PACKAGE_ROOT, inPackage) : undefined;
  if (fragment !== undefined && isFile(fragment)) return {file: fragment};
  // A directory or an unreadable file where the path points: reading it says what is wrong.
  if (existsSync(local)) return {file: local};
  if (isAbsolute(written)) return {notFound: ''};
  const fragments = bundledFragments().filter((f) => f.startsWith('configs/'));
  const guess = nearest(written, [...experiments, ...fragments]) ?? nearest(written.replace(/^(\.\.\/)+/, ''), fragments);
  return {
    notFound: `not at ${local} (relative to this file), not a bundled experiment (${experiments.join(', ')}), ` +
      `not a bundled file (${fragments.join(', ')}, experiments/<name>.yaml; in ${PACKAGE_ROOT})` +
      (guess ? ` — did you mean "${guess}"?` : ''),
  };
}
