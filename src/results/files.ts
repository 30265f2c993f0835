// Writing results: every file is replaced atomically (write a temporary file, then rename),
// so a reader or an interrupted run never sees a half-written file.

import {mkdirSync, renameSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {stringify} from 'csv-stringify/sync';

export function writeAtomic(file: string, content: string): void {
  mkdirSync(dirname(file), {recursive: true});
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export function toCsv(columns: string[], rows: string[][]): string {
  return stringify([columns, ...rows], {eof: true, record_delimiter: '\n'});
}
