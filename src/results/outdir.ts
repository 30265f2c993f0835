// The output directory, checked and created before any training, so that a bad path is bad
// input (exit 2, a message, nothing written) rather than a crash after minutes of work.
//
// Directories are created one component at a time, never with mkdir's `recursive` (which spins
// forever on paths such as /proc/x/y), and writability is proved by writing a probe file: the
// permission bits say nothing about read-only mounts, and root passes every access() check.

import {mkdirSync, rmdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {dirname, join, parse, resolve} from 'node:path';
import {UserError} from '../errors.js';

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOENT':
      return 'directories cannot be created there';
    case 'ENOTDIR':
      return 'a component of the path is a file';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return code ?? String(error);
  }
}

/** The components from the root down to `abs`: /a, /a/b, /a/b/c. */
function chain(abs: string): string[] {
  const out: string[] = [];
  for (let dir = abs; dir !== parse(dir).root; dir = dirname(dir)) out.unshift(dir);
  return out;
}

/**
 * Make sure `out` is a directory normbench can write, creating it if needed; returns its
 * absolute path. `what` names it in messages (e.g. `--out`).
 */
export function prepareOutDir(out: string, what = '--out'): string {
  if (out.trim() === '') throw new UserError(`${what} is empty: give a directory (e.g. ${what} results/mine)`, undefined, 'path');
  const abs = resolve(out);
  const fail = (message: string) => new UserError(`${what} ${out}: ${message}`, undefined, 'path');
  const created: string[] = [];
  const undo = () => {
    for (const dir of created.reverse()) rmdirSync(dir);
  };
  for (const dir of chain(abs)) {
    const stat = statSync(dir, {throwIfNoEntry: false});
    if (stat?.isDirectory()) continue;
    if (stat) {
      undo();
      throw fail(dir === abs ? 'is a file, not a directory' : `${dir} is a file, not a directory`);
    }
    try {
      mkdirSync(dir);
      created.push(dir);
    } catch (error) {
      undo();
      throw fail(`cannot create ${dir}: ${why(error)}`);
    }
  }
  const probe = join(abs, `.normbench-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    rmSync(probe, {force: true});
    undo();
    throw fail(`cannot write there: ${why(error)}`);
  }
  return abs;
}

/** A directory given to read from (e.g. --data-dir) must exist and be a directory. */
export function checkInputDir(dir: string, what: string): string {
  const abs = resolve(dir);
  const stat = statSync(abs, {throwIfNoEntry: false});
  if (!stat) throw new UserError(`${what} ${dir}: no such directory`, undefined, 'path');
  if (!stat.isDirectory()) throw new UserError(`${what} ${dir}: not a directory`, undefined, 'path');
  return abs;
}
