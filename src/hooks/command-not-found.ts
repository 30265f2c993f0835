// An unknown command: the nearest one, and the list, instead of oclif's "command runn:x not found"
// (which also glues the next argument to the typo). Exit 2, like any bad input.

import type {Hook} from '@oclif/core';
import {nearest} from '../suggest.js';

const hook: Hook<'command_not_found'> = async function (options) {
  // oclif joins the words it tried as a command with ":" (runn quickstart → runn:quickstart): the
  // typo is the shortest run of leading words near a command (runn; data fetchh).
  const words = options.id.split(':');
  const known = [...new Set(options.config.commandIDs.map((id) => id.replace(/:/g, ' ')))].sort();
  const tries = words.map((_, k) => words.slice(0, k + 1).join(' ')).map((typed) => ({typed, guess: nearest(typed, known)}));
  const {typed, guess} = tries.find((t) => t.guess) ?? tries[0]!;
  process.stderr.write(`error: "${typed}" is not a normbench command${guess ? ` — did you mean "${guess}"?` : ''} (commands: ${known.join(', ')}; normbench --help)\n`);
  process.exit(2);
};

export default hook;
