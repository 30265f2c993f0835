import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../cli.js';
import {bundledExperiments} from '../config/find.js';
import {initExperiment} from '../config/starter.js';

/** A file name as the shell needs it. */
const shellWord = (word: string) => (/^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

export default class Init extends BaseCommand {
  static override summary = 'Write a starter experiment: every section commented, on the bundled data, ready to validate and run.';
  static override description = 'Writes NAME.yaml (default experiment.yaml): a small experiment on the bundled Fashion-MNIST subset (18 runs, ' +
    'under half a minute on 2 cores) with a line on what each key means and takes, and the sections it does not use commented out. ' +
    'Its first line points editors that use the YAML language server (VS Code\'s YAML extension, among others) at the JSON Schema ' +
    'shipped with normbench, so that they complete and check the keys. An existing file is never overwritten without --force.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init bn-sigmoid',
    '<%= config.bin %> init mine --from quickstart',
  ];
  static override args = {
    name: Args.string({description: 'The file to write: NAME.yaml, or NAME as given when it ends in .yaml or .yml (default: experiment.yaml).', required: false}),
  };
  static override flags = {
    from: Flags.string({summary: `Copy a bundled experiment instead (${bundledExperiments().join(', ')}); default NAME: its own.`, helpValue: 'EXPERIMENT'}),
    force: Flags.boolean({summary: 'Replace the file if it exists.', default: false}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Init);
    const result = initExperiment({name: args.name, from: flags.from, force: flags.force});
    const what = result.from ? `a copy of the bundled experiment "${result.from}"` : 'a starter experiment';
    const file = shellWord(result.file);
    const bin = this.config.bin;
    const next = [`${bin} validate ${file}`, `${bin} run ${file}`, `${bin} check results/${result.name}`];
    this.log(`${result.replaced ? 'replaced' : 'wrote'} ${result.file}: ${what}, named "${result.name}"`);
    this.log(`editors check it against ${result.schema}`);
    this.log('');
    this.log('next:');
    for (const command of next) this.log(`  ${command}`);
    return {...result, next};
  }
}
