// The IDX format of MNIST and Fashion-MNIST (LeCun et al.): a big-endian header
//   0x00 0x00 <type> <ndims>, then ndims × uint32 sizes, then the values, row-major.
// Files may be gzip-compressed; that is detected from the content, not the file name.

import {readFileSync, writeFileSync} from 'node:fs';
import {gunzipSync, gzipSync} from 'node:zlib';
import {UserError} from '../errors.js';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** A data file that is not what it should be: bad input (exit 2), naming the file. */
const corrupt = (source: string, message: string) => new UserError(message, {file: source}, 'data');

export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  let buf: Buffer;
  try {
    buf = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes);
  } catch (error) {
    throw corrupt(source, `not a valid gzip file (${(error as Error).message}); download it again`);
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw corrupt(source, 'not an IDX file (bad magic number)');
  }
  const type = buf[2]!;
  const ndims = buf[3]!;
  if (type !== UBYTE) throw corrupt(source, `IDX element type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw corrupt(source, 'truncated IDX header');
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(buf.readUInt32BE(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  if (buf.length !== header + count) {
    throw corrupt(source, `IDX size mismatch: the header says ${count} values, the file has ${buf.length - header}${buf.length - header < count ? ' (truncated)' : ''}`);
  }
  return {shape, data: new Uint8Array(buf.buffer, buf.byteOffset + header, count)};
}

export function readIdx(file: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw corrupt(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseIdx(bytes, file);
}

export function encodeIdx(array: IdxArray): Buffer {
  const header = Buffer.alloc(4 + 4 * array.shape.length);
  header[2] = UBYTE;
  header[3] = array.shape.length;
  array.shape.forEach((size, i) => header.writeUInt32BE(size, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(array.data.buffer, array.data.byteOffset, array.data.length)]);
}

/** Write an IDX file, gzip-compressed when the name ends in .gz (deterministic bytes: mtime 0). */
export function writeIdx(file: string, array: IdxArray): void {
  const raw = encodeIdx(array);
  writeFileSync(file, file.endsWith('.gz') ? gzipSync(raw, {level: 9}) : raw);
}
