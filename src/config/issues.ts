// Schema issues in words: what is wrong with a value, with the nearest valid name or key.

import type {z} from 'zod';
import {UserError} from '../errors.js';
import {unknownName} from '../suggest.js';
import {KEY_MESSAGE_SEPARATOR} from '../util/strict.js';
import {formatPath, type ConfigSources, type KeyPath} from './sources.js';

type Dict = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Dict {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let cur = data;
  for (const seg of path) cur = isPlainObject(cur) || Array.isArray(cur) ? (cur as Dict)[String(seg)] : undefined;
  return cur;
}

export interface IssueDescription {
  message: string;
  /** Path of the offending key, relative to the data checked. */
  path: Array<string | number>;
  /** Locate the key rather than its value (unknown keys). */
  preferKey: boolean;
}

/** A value as the user wrote it, short: 0.1, "0.1", [1, 2], {…}. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return value.length > 6 ? `[${value.slice(0, 6).map(shown).join(', ')}, …]` : `[${value.map(shown).join(', ')}]`;
  if (typeof value === 'object') return '{…}';
  return String(value);
}

const KIND: Record<string, string> = {number: 'a number', int: 'a whole number', string: 'text', boolean: 'true or false', array: 'a list', object: 'a mapping (key: value)'};
const kindOf = (value: unknown) => (Array.isArray(value) ? 'a list' : value === null ? 'nothing (null)' : typeof value === 'string' ? 'text' : typeof value === 'object' ? 'a mapping' : `a ${typeof value}`);

/** Schema issues in words — what is wrong, what was given, what is allowed — with suggestions. */
export function describeIssues(issue: z.core.$ZodIssue, data: unknown): IssueDescription[] {
  const local = issue.path as Array<string | number>;
  if (issue.code === 'unrecognized_keys') {
    const messages = issue.message.split(KEY_MESSAGE_SEPARATOR);
    return issue.keys.map((key, i) => ({message: messages[i] ?? `unknown key "${key}"`, path: [...local, key], preferKey: true}));
  }
  const input = valueAt(data, local);
  const one = (message: string): IssueDescription[] => [{message, path: local, preferKey: false}];
  const kind = String(local[local.length - 1] ?? 'value');
  switch (issue.code) {
    case 'invalid_value':
      return one(unknownName(kind, String(input), issue.values.map(String)));
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) {
        // A discriminated union (dataset.name): name the unknown variant and the nearest known one.
        // The name of a data set or the kind of a model, in the experiment or in a grid entry.
        const what = local[0] === 'dataset' || kind === 'name' ? 'dataset' : local[0] === 'model' || kind === 'kind' ? 'model' : kind;
        return one(unknownName(what, String(input), (issue.options as unknown[]).map(String)));
      }
      return one(`${issue.message} (got ${shown(input)})`);
    case 'invalid_type':
      if (input === undefined) return one(`missing required key "${formatPath(local)}" (${KIND[issue.expected] ?? issue.expected})`);
      return one(`expected ${KIND[issue.expected] ?? issue.expected}, got ${issue.expected === 'int' && typeof input === 'number' ? 'a fraction' : kindOf(input)} (${shown(input)})`);
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      if (issue.origin === 'array') {
        return one(`${issue.code === 'too_small' ? 'needs at least' : 'takes at most'} ${String(bound)} value${Number(bound) === 1 ? '' : 's'} (got ${shown(input)})`);
      }
      return one(`must be ${op} ${String(bound)} (got ${shown(input)})`);
    }
    case 'invalid_format':
      return one(`${issue.message} (got ${shown(input)})`);
    default:
      return one(issue.message);
  }
}

/** The first description of an issue (for callers that locate one message per issue). */
export function describeIssue(issue: z.core.$ZodIssue, data: unknown): IssueDescription {
  return describeIssues(issue, data)[0]!;
}

/**
 * Schema issues as located user errors; `prefix` is where the checked data sits. A missing
 * required key whose name an unknown key beside it was a typo of is reported once, as the typo.
 */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  sources: ConfigSources,
  prefix: KeyPath = [],
): UserError[] {
  const typoFor = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const guesses = [...issue.message.matchAll(/did you mean "([^"]+)"/g)].map((m) => m[1]!);
    for (const guess of guesses) typoFor.add(formatPath([...(issue.path as KeyPath), guess]));
  }
  return issues
    .filter((issue) => !(issue.code === 'invalid_type' && valueAt(data, issue.path as KeyPath) === undefined && typoFor.has(formatPath(issue.path as KeyPath))))
    .flatMap((issue) => describeIssues(issue, data).map((d) => new UserError(d.message, sources.locate([...prefix, ...d.path], d.preferKey))));
}
