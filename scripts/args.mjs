// Command-line options for the scripts, as the CLI treats its flags: each option declared once
// with its description, `--help` prints them, and a mistake (an unknown option, a missing or bad
// value, a stray argument) is one line on stderr with the nearest option, exit 2 — never a stack.
// It loads nothing heavy: a script parses its options before it imports tfjs.

import {parseArgs} from 'node:util';
import {nearest} from '../dist/src/suggest.js';

/**
 * @typedef {object} OptionSpec
 * @property {'string' | 'boolean'} type
 * @property {string} description  one line, shown by --help
 * @property {string} [value]  the value's placeholder in --help (`<n>`, `mlp|lstm`)
 * @property {string | boolean} [default]  the value when the option is left out
 * @property {string} [defaultHelp]  what --help says of the default, when it is not one value
 * @property {readonly string[]} [choices]  the values allowed
 * @property {'integer' | 'integers'} [number]  a positive integer, or a comma-separated list of them
 * @property {string} [group]  the --help section it is listed under
 */

/**
 * Parse process.argv for `name` (how it is invoked, e.g. `npm run bench --`); on --help print the
 * help and exit 0, on a mistake print one line and exit 2.
 * @param {{name: string, about: string, usage: string[], options: Record<string, OptionSpec>, footer?: string}} spec
 * @param {string[]} [argv]
 */
export function parseOptions(spec, argv = process.argv.slice(2)) {
  const options = {...spec.options, help: {type: 'boolean', description: 'Show this help.', group: spec.options.help?.group}};
  const parserOptions = Object.fromEntries(Object.entries(options).map(([key, o]) => [key, {type: o.type, ...(o.default === undefined ? {} : {default: o.default})}]));
  const fail = (message, list = '') => {
    process.stderr.write(`error: ${message} (${list ? `${list}; ` : ''}${spec.name} --help)\n`);
    process.exit(2);
  };
  let values;
  try {
    ({values} = parseArgs({args: argv, options: parserOptions, strict: true, allowPositionals: false}));
  } catch (error) {
    const known = Object.keys(options);
    fail(parseError(error, known), error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `options: ${known.map((k) => `--${k}`).join(', ')}` : '');
  }
  if (values.help) {
    process.stdout.write(helpText(spec, options));
    process.exit(0);
  }
  for (const [key, o] of Object.entries(options)) {
    const value = values[key];
    if (value === undefined || o.type !== 'string') continue;
    const items = o.number === 'integers' || o.choices ? value.split(',') : [value];
    if (o.choices) {
      const wrong = items.find((v) => !o.choices.includes(v));
      if (wrong !== undefined) fail(`--${key} takes ${o.choices.join(' or ')}, got "${wrong}"`);
    }
    if (o.number && items.some((v) => !/^[1-9]\d*$/.test(v.trim()))) {
      fail(`--${key} takes ${o.number === 'integers' ? 'positive integers separated by commas' : 'a positive integer'}, got "${value}"`);
    }
  }
  return values;
}

/** One line for a parseArgs error: what was wrong and, for an unknown option, the nearest one. */
function parseError(error, known) {
  const message = String(error.message);
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const word = /^Unknown option '([^']+)'/.exec(message)?.[1] ?? '?';
      const guess = nearest(word.replace(/^-+/, ''), known);
      return `unknown option ${word}${guess ? ` — did you mean "--${guess}"?` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /'(--[a-z-]+)/.exec(message)?.[1];
      return option ? `${option} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}` : message;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}: every input is an option (--name value)`.replace(/ {2,}/g, ' ');
    default:
      throw error;
  }
}

/** `text` in lines of at most `width` characters, the later ones indented by `indent`. */
function wrap(text, width, indent) {
  const lead = /^ */.exec(text)[0];
  const lines = [lead];
  for (const word of text.slice(lead.length).split(' ')) {
    const line = lines.at(-1);
    if (line.trim() && word && line.length + 1 + word.length > width) lines.push(`${' '.repeat(indent)}${word}`);
    else lines[lines.length - 1] = line.trim() ? `${line} ${word}` : `${line}${word}`;
  }
  return lines.join('\n');
}

/** The help, laid out as the CLI's: about, usage, then the options by group with their defaults. */
function helpText(spec, options) {
  const columns = Math.max(60, Math.min(process.stdout.columns ?? 100, 120));
  const label = (key, o) => `--${key}${o.type === 'string' ? `=<${o.value ?? 'value'}>` : ''}`;
  const width = Math.max(...Object.entries(options).map(([k, o]) => label(k, o).length));
  const defaultOf = (o) => o.defaultHelp ?? (o.type === 'string' && o.default !== undefined ? o.default : undefined);
  const groups = [...new Set(Object.values(options).map((o) => o.group ?? 'OPTIONS'))];
  const lines = [wrap(spec.about, columns, 0), '', 'USAGE', ...spec.usage.map((u) => wrap(`  $ ${spec.name} ${u}`, columns, 6))];
  for (const group of groups) {
    lines.push('', group);
    for (const [key, o] of Object.entries(options).filter(([, o]) => (o.group ?? 'OPTIONS') === group)) {
      const d = defaultOf(o);
      lines.push(wrap(`  ${label(key, o).padEnd(width)}  ${o.description}${d === undefined ? '' : ` [default: ${d}]`}`, columns, width + 4));
    }
  }
  if (spec.footer) lines.push('', wrap(spec.footer, columns, 0));
  return `${lines.join('\n')}\n`;
}
