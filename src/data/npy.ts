// NumPy's .npy format (numpy.lib.format): the magic bytes \x93NUMPY, a version, the length of a
// header, and the header — a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }
// — then the values, C order. Read here: little-endian float32 ('<f4'), float64 ('<f8') and uint8
// ('|u1') arrays, and for labels int32 ('<i4') and int64 ('<i8') as well (NumPy's default integer).
//
// 1. The header is checked before any value is read: the magic, the version (1, 2 or 3), the
//    dtype, C order, the shape; the file's size must be the header's plus shape × item size
//    exactly (shorter: truncated; longer: not one array).
// 2. The values are read in 1 MiB chunks straight into a Float32Array (float64 rounded once).

import {closeSync, fstatSync, openSync, readSync} from 'node:fs';
import {UserError, type SourceLocation} from '../errors.js';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const CHUNK = 1 << 20;

/** The dtypes read, by their `descr`, with the bytes of one value. */
const DTYPES = {
  '<f4': {bytes: 4, name: 'float32'},
  '<f8': {bytes: 8, name: 'float64'},
  '|u1': {bytes: 1, name: 'uint8'},
  '<i4': {bytes: 4, name: 'int32'},
  '<i8': {bytes: 8, name: 'int64'},
} as const;
export type NpyDtype = keyof typeof DTYPES;
export const FEATURE_DTYPES: readonly NpyDtype[] = ['<f4', '<f8', '|u1'];
export const LABEL_DTYPES: readonly NpyDtype[] = ['|u1', '<i4', '<i8', '<f4', '<f8'];

export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  /** The values, C order, as float32 (exact for uint8, int32 up to 2^24 and float32). */
  data: Float32Array;
}

/** Step 1: the header's dtype, order and shape, and where the values start. */
function readHeader(fd: number, size: number, fail: (message: string) => never): {descr: string; shape: number[]; offset: number} {
  const head = Buffer.alloc(12);
  const got = readSync(fd, head, 0, 12, 0);
  if (size === 0) fail('the file is empty: an .npy file starts with the magic bytes \\x93NUMPY');
  if (got < 10 || !head.subarray(0, 6).equals(MAGIC)) fail('not an .npy file: it does not start with the magic bytes \\x93NUMPY (save arrays with numpy.save)');
  const major = head[6]!;
  if (major < 1 || major > 3) fail(`.npy format version ${major}.${head[7]} is not one of 1.0, 2.0, 3.0`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (got < 8 + lengthBytes) fail('truncated: the file ends inside the .npy header');
  const length = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const offset = 8 + lengthBytes + length;
  if (size < offset) fail(`truncated: the header says it is ${length} bytes long, the file ends after ${size - 8 - lengthBytes}`);
  const text = Buffer.alloc(length);
  readSync(fd, text, 0, length, 8 + lengthBytes);
  const header = text.toString(major === 3 ? 'utf8' : 'latin1').trim();
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const dims = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!header.startsWith('{') || descr === undefined || fortran === undefined || dims === undefined) {
    fail(`the .npy header is not a dict of descr, fortran_order and shape: ${JSON.stringify(header.slice(0, 80))}`);
  }
  if (fortran === 'True') fail('the array is in Fortran order: save it in C order (numpy.ascontiguousarray)');
  const shape = dims!.split(',').map((d) => d.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`the .npy header's shape (${dims}) is not a list of sizes`);
  return {descr: descr!, shape, offset};
}

/** `<f4` as people say it: `float32 ('<f4')`. */
const dtypeText = (descr: string) => (descr in DTYPES ? `${DTYPES[descr as NpyDtype].name} ('${descr}')` : `'${descr}'`);

/** Read an .npy file whose dtype is one of `allowed` (steps 1–2). `what` says what the array is, for errors. */
export function readNpy(path: string, location: SourceLocation, allowed: readonly NpyDtype[], what: string): NpyArray {
  const fail = (message: string): never => {
    throw new UserError(message, location, 'data');
  };
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const {descr, shape, offset} = readHeader(fd, size, fail);
    // '<u1' and '>u1' are '|u1': a byte has no order.
    const dtype = (/^[<>|=]u1$/.test(descr) ? '|u1' : descr) as NpyDtype;
    if (!allowed.includes(dtype)) {
      const big = descr.startsWith('>') ? ' (big-endian: save it as little-endian, e.g. a.astype(\'<f4\'))' : '';
      fail(`dtype ${dtypeText(descr)} is not read for ${what}${big}: ${allowed.map(dtypeText).join(', ')}`);
    }
    const {bytes} = DTYPES[dtype];
    const count = shape.reduce((a, b) => a * b, 1);
    const expected = offset + count * bytes;
    if (size < expected) fail(`truncated: the header says (${shape.join(', ')}) ${DTYPES[dtype].name}, ${count * bytes} bytes of values; the file holds ${size - offset}`);
    if (size > expected) fail(`${size - expected} bytes more than the header's (${shape.join(', ')}) ${DTYPES[dtype].name} values: not one .npy array (an .npz or a concatenation?)`);
    return {shape, dtype, data: readValues(fd, offset, count, dtype)};
  } finally {
    closeSync(fd);
  }
}

/** Step 2: `count` values from `offset`, chunk by chunk, into float32. */
function readValues(fd: number, offset: number, count: number, dtype: NpyDtype): Float32Array {
  const out = new Float32Array(count);
  const {bytes} = DTYPES[dtype];
  const per = Math.floor(CHUNK / bytes);
  // An 8-byte aligned buffer, so that typed views of it are allowed.
  const buffer = Buffer.from(new ArrayBuffer(per * bytes));
  for (let done = 0; done < count; ) {
    const take = Math.min(per, count - done);
    readSync(fd, buffer, 0, take * bytes, offset + done * bytes);
    const view = viewOf(buffer.buffer, dtype, take);
    for (let i = 0; i < take; i++) out[done + i] = Number(view[i]!);
    done += take;
  }
  return out;
}

function viewOf(buffer: ArrayBufferLike, dtype: NpyDtype, n: number): ArrayLike<number | bigint> {
  switch (dtype) {
    case '<f4': return new Float32Array(buffer, 0, n);
    case '<f8': return new Float64Array(buffer, 0, n);
    case '|u1': return new Uint8Array(buffer, 0, n);
    case '<i4': return new Int32Array(buffer, 0, n);
    case '<i8': return new BigInt64Array(buffer, 0, n);
  }
}
