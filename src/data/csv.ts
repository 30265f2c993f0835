// A numeric CSV file read as a table of features and an integer label column, streamed: a file
// far larger than memory's share for text (a 500 MB CSV) costs its float32 values and a chunk.
//
// 1. Count the lines (a first pass over the bytes, at disk speed), so that the features go into
//    one Float32Array of the right size at once — never a growing array of strings, never a copy.
// 2. Read again in 1 MiB chunks, a line at a time (a line longer than the chunk grows it). The
//    first line that is not blank is the header (comma-separated names, UTF-8, a BOM dropped);
//    blank lines are skipped. A line with a double quote is parsed by csv-parse (RFC 4180
//    quoting; a quoted field may span lines); every other line is parsed from its bytes: a plain
//    integer cell digit by digit (exact up to 15 digits), any other cell by Number().
// 3. Every cell of a feature column is a finite decimal number, every label cell a whole number
//    ≥ 0; the first cell that is not, or a row with another number of cells than the header has,
//    is a UserError at its file:line:column.

import {closeSync, openSync, readSync} from 'node:fs';
import {parse} from 'csv-parse/sync';
import {UserError} from '../errors.js';
import {nearest} from '../suggest.js';

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/** A CSV file's examples: features row-major, labels as written (checked against classes later). */
export interface CsvTable {
  /** The feature columns' names, in file order (the label column left out). */
  columns: string[];
  x: Float32Array;
  y: Int32Array;
  n: number;
  width: number;
  /** The line of each example's label (1-based), for errors found later (a label out of range). */
  lineOf: (example: number) => number;
}

export interface CsvOptions {
  /** The file as shown in errors (relative to the working directory). */
  shown: string;
  /** The key path that names the file in the experiment (`dataset.train`). */
  key: string;
  /** The label column. */
  label: string;
}

/** Step 1: how many newline bytes the file holds (the lines are at most one more). */
function countNewlines(fd: number): {newlines: number; bytes: number} {
  const buffer = Buffer.allocUnsafe(CHUNK);
  let newlines = 0;
  let bytes = 0;
  for (let n, position = 0; (n = readSync(fd, buffer, 0, CHUNK, position)) > 0; position += n) {
    bytes += n;
    const chunk = n === CHUNK ? buffer : buffer.subarray(0, n);
    for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) newlines++;
  }
  return {newlines, bytes};
}

/**
 * The lines of a file as bytes (without their \n or \r\n), each with its 1-based number, read a
 * chunk at a time (step 2). A line is valid until the next is asked for.
 */
function* lines(fd: number): Generator<[Buffer, number]> {
  let buffer = Buffer.allocUnsafe(CHUNK);
  let view = buffer.subarray(0, 0);
  let start = 0;
  let number = 0;
  let position = 0;
  let eof = false;
  const cut = (from: number, to: number) => view.subarray(from, to > from && view[to - 1] === 0x0d ? to - 1 : to);
  for (;;) {
    const nl = view.indexOf(NEWLINE, start);
    if (nl >= 0) {
      yield [cut(start, nl), ++number];
      start = nl + 1;
      continue;
    }
    if (eof) {
      if (start < view.length) yield [cut(start, view.length), ++number];
      return;
    }
    // Keep the part of a line read so far; a line longer than the buffer doubles it.
    let end = view.length - start;
    buffer.copy(buffer, 0, start, view.length);
    if (end === buffer.length) {
      const larger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(larger, 0, 0, end);
      buffer = larger;
    }
    const got = readSync(fd, buffer, end, buffer.length - end, position);
    position += got;
    end += got;
    eof = got === 0;
    view = buffer.subarray(0, end);
    start = 0;
  }
}

const quotes = (line: string) => {
  let k = 0;
  for (let i = line.indexOf('"'); i >= 0; i = line.indexOf('"', i + 1)) k++;
  return k;
};

/** What a cell that is not a finite decimal number holds, in words. */
function notANumber(text: string): string {
  const t = text.trim();
  if (t === '') return 'is empty';
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return `is ${t} (NaN and ±inf are not allowed: every feature must be a finite number)`;
  return `"${t.length > 40 ? `${t.slice(0, 37)}…` : t}" is not a number`;
}

/** Why a label cell is not a class label (before the rule that says what one is). */
function labelProblem(cell: string): string {
  const t = cell.trim();
  if (t === '') return 'the label cell is empty';
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return `the label is ${t}`;
  const v = +t;
  if (Number.isFinite(v) && !radixPrefixed(t)) return `the label ${t} is not a whole number`;
  return `the label "${t.length > 40 ? `${t.slice(0, 37)}…` : t}" is not a number`;
}

/** Number() reads hexadecimal, binary and octal (0x1f); a CSV's numbers are decimal. */
const radixPrefixed = (text: string) => {
  const t = text.trim();
  return t.length > 2 && t.charCodeAt(0) === 48 && /[xbo]/i.test(t[1]!);
};

/** Read a CSV file (steps 1–3). Throws the first problem found, located. */
export function readCsv(path: string, options: CsvOptions): CsvTable {
  const {shown, key, label} = options;
  const at = (line: number, col?: number) => ({file: shown, line, ...(col !== undefined && {col}), path: key});
  const fail = (message: string, line?: number, col?: number): never => {
    throw new UserError(message, line === undefined ? {file: shown, path: key} : at(line, col), 'data');
  };
  const fd = openSync(path, 'r');
  try {
    const {newlines, bytes} = countNewlines(fd);
    if (bytes === 0) fail('the file is empty: a CSV file needs a header line naming the columns, then one example a line');

    let header: string[] | undefined;
    let labelAt = -1;
    let width = 0;
    let x = new Float32Array(0);
    let y = new Int32Array(0);
    let labelLines = new Int32Array(0);
    let n = 0;
    let pending: {text: string; line: number} | undefined;

    /** A cell's value by Number(), checked (the slow path: every cell that is not a plain integer). */
    const checked = (text: string, c: number, line: number, col: number): number => {
      const v = +text;
      if (c === labelAt) {
        if (!Number.isInteger(v) || text.trim() === '' || radixPrefixed(text)) fail(`${labelProblem(text)}: a class label is a whole number from 0 (column "${label}")`, line, col);
      } else if (!Number.isFinite(v) || (v === 0 && text.trim() === '') || radixPrefixed(text)) {
        // +'' and +' ' are 0, +'0x1f' is 31.
        fail(`the cell in column ${c + 1} ("${header![c]}") ${radixPrefixed(text) ? `"${text.trim()}" is not a decimal number` : notANumber(text)}`, line, col);
      }
      return v;
    };
    const ragged = (cells: number, line: number) =>
      fail(`this row has ${cells} cell${cells === 1 ? '' : 's'}, the header has ${header!.length} columns (a ragged row)`, line);
    const store = (c: number, v: number, line: number, col: number, o: number): number => {
      if (c !== labelAt) {
        x[o] = v;
        return o + 1;
      }
      if (v < 0) fail(`the label ${v} is negative: a class label is a whole number from 0 (column "${label}")`, line, col);
      y[n] = v;
      return o;
    };

    for (const [bytes, number] of lines(fd)) {
      // The common case: a line of numbers without quotes, parsed from its bytes; a plain integer
      // (at most 15 digits) is read digit by digit, exactly, anything else by Number().
      if (header && !pending && bytes.indexOf(0x22) < 0) {
        const e = bytes.length;
        let blank = true;
        for (let k = 0; k < e && blank; k++) blank = bytes[k] === 0x20 || bytes[k] === 0x09;
        if (blank) continue;
        let o = n * width;
        let c = 0;
        for (let i = 0; ; c++) {
          let j = i;
          const negative = bytes[j] === 0x2d;
          if (negative) j++;
          let v = 0;
          let digits = 0;
          let plain = true;
          for (; j < e; j++) {
            const b = bytes[j]!;
            if (b === 0x2c) break;
            const d = b - 48;
            if (d >= 0 && d <= 9) {
              v = v * 10 + d;
              digits++;
            } else plain = false;
          }
          if (c >= header.length) ragged(bytes.reduce((k, b) => k + (b === 0x2c ? 1 : 0), 1), number);
          if (!plain || digits === 0 || digits > 15) v = checked(bytes.toString('utf8', i, j), c, number, i + 1);
          else if (negative) v = -v;
          o = store(c, v, number, i + 1, o);
          if (j >= e) break;
          i = j + 1;
        }
        if (c + 1 !== header.length) ragged(c + 1, number);
        labelLines[n] = number;
        n++;
        continue;
      }

      // A header, or a line with quotes (csv-parse; a quoted field may hold a newline, so a
      // record with an odd number of quotes goes on to the next line).
      let text = bytes.toString('utf8');
      let line = number;
      if (pending) {
        text = `${pending.text}\n${text}`;
        line = pending.line;
        pending = undefined;
      }
      const quoted = text.includes('"');
      if (quoted && quotes(text) % 2 === 1) {
        pending = {text, line};
        continue;
      }
      if (text.trim() === '') continue;
      let cells: string[];
      if (quoted) {
        try {
          cells = (parse(text, {relax_column_count: true, bom: true}) as string[][])[0] ?? [];
        } catch (error) {
          return fail(`not valid CSV: ${(error as Error).message.replace(/^Invalid \w+ /, '').split('\n')[0]}`, line);
        }
      } else cells = text.replace(/^\uFEFF/, '').split(',');
      // Where cell c starts on its line (exact for unquoted lines, which numeric data are).
      const colOf = (c: number) => cells.slice(0, c).reduce((sum, cell) => sum + cell.length + 1, 1);

      if (!header) {
        header = cells.map((c) => c.trim());
        labelAt = header.indexOf(label);
        if (labelAt < 0) {
          const guess = nearest(label, header);
          const shownColumns = header.length > 8 ? `${header.slice(0, 8).join(', ')}, … (${header.length} columns)` : header.join(', ');
          fail(`no column "${label}" in the header${guess ? ` — did you mean "${guess}"?` : ''} (columns: ${shownColumns}); dataset.label names the column of class labels`, line);
        }
        const seen = new Map<string, number>();
        header.forEach((name, c) => {
          if (name === '') fail(`column ${c + 1} of the header has no name`, line, colOf(c));
          if (seen.has(name)) fail(`column ${c + 1} of the header repeats the name "${name}" (column ${seen.get(name)! + 1})`, line, colOf(c));
          seen.set(name, c);
        });
        width = header.length - 1;
        if (width === 0) fail(`the header names only the label column "${label}": there are no features`, line);
        // Step 1's count bounds the examples: every line but the header's could be one.
        const capacity = Math.max(0, newlines + 1 - line);
        x = new Float32Array(capacity * width);
        y = new Int32Array(capacity);
        labelLines = new Int32Array(capacity);
        continue;
      }
      if (cells.length !== header.length) ragged(cells.length, line);
      let o = n * width;
      cells.forEach((cell, c) => {
        o = store(c, checked(cell, c, line, colOf(c)), line, colOf(c), o);
      });
      labelLines[n] = line;
      n++;
    }
    if (pending) fail('a quoted field is not closed before the end of the file', pending.line);
    if (!header) fail('the file holds only blank lines: a CSV file needs a header line naming the columns, then one example a line');
    if (n === 0) fail('the file has a header but no examples');
    return {
      columns: header!.filter((_, c) => c !== labelAt),
      x: x.subarray(0, n * width),
      y: y.subarray(0, n),
      n,
      width,
      lineOf: (example) => labelLines[example]!,
    };
  } finally {
    closeSync(fd);
  }
}
