// What every command shares: user errors are printed plainly and exit with code 2.

import {Command, Flags} from '@oclif/core';
import {BACKEND_CHOICES} from './backend.js';
import {UserError} from './errors.js';

export const sharedFlags = {
  set: Flags.string({
    summary: 'Override a key of the experiment: --set train.lr=0.05 (value read as YAML; repeatable).',
    multiple: true,
    helpValue: 'key.path=value',
  }),
};

export const backendFlag = Flags.string({
  summary: 'Compute backend; auto = tensorflow (tfjs-node) if it loads, else wasm, else cpu.',
  options: [...BACKEND_CHOICES],
  default: 'auto',
});

export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof UserError) {
      this.logToStderr(`error: ${error.message}`);
      this.exit(2);
    }
    return super.catch(error);
  }
}
