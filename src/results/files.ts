// Writing results: a whole file is replaced atomically (write a temporary file beside it, then
// rename), so a reader or an interrupted run never sees a half-written file. The directory must
// exist: creating it is the output-directory check's job (src/run/outdir.ts), done once, up front.

import {renameSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {stringify} from 'csv-stringify/sync';

let counter = 0;

export function writeAtomic(file: string, content: string): void {
  const tmp = join(dirname(file), `.${process.pid}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, {force: true});
    throw error;
  }
}

export function toCsv(columns: string[], rows: string[][]): string {
  return stringify([columns, ...rows], {eof: true, record_delimiter: '\n'});
}
