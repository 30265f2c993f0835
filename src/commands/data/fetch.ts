import {resolve} from 'node:path';
import {Args, Flags} from '@oclif/core';
import {BaseCommand} from '../../cli.js';
import {fetchDataset} from '../../data/fetch.js';
import {DOWNLOAD_SOURCES, DOWNLOADS, type DownloadName} from '../../data/downloads.js';
import {fetchProgress, formatBytes} from '../../data/fetch-progress.js';
import {UserError} from '../../errors.js';
import {unknownName} from '../../suggest.js';

export default class DataFetch extends BaseCommand {
  static override summary = 'Download a data set, checking every file against its published SHA-256.';
  static override description =
    'When a checked copy is already where normbench looks for the data ($NORMBENCH_DATA, ./data, ./data/fashion-mnist, ' +
    'Debian\'s /usr/share/datasets/fashion-mnist), it says where and downloads nothing (--force downloads anyway). ' +
    'Files already present with the right checksum are skipped; an interrupted download resumes from its .part file. ' +
    'A file is moved into place only once its checksum matches: a mismatch deletes it and exits with code 2. ' +
    'A failed fetch removes the directories it created; only a .part with bytes in it stays, to be resumed.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> data fetch fashion-mnist',
    '<%= config.bin %> data fetch fashion-mnist --dir /data/fashion-mnist',
    '<%= config.bin %> data fetch fashion-mnist --base-url https://mirror.example.org/fashion-mnist/',
  ];
  static override args = {
    dataset: Args.string({description: `Data set to download; one of: ${DOWNLOADS.join(', ')}.`, required: true}),
  };
  static override flags = {
    dir: Flags.string({summary: 'Directory to download into.', defaultHelp: async () => 'data/<dataset>, which normbench searches'}),
    'base-url': Flags.string({
      summary: 'Mirror to download from: a URL the file names are appended to.',
      description: `Default: $${DOWNLOAD_SOURCES['fashion-mnist'].envVar}, else ${DOWNLOAD_SOURCES['fashion-mnist'].baseUrl}`,
    }),
    force: Flags.boolean({summary: 'Download even if a checked copy is installed elsewhere; replace files that are present but fail their checksum.'}),
    quiet: Flags.boolean({char: 'q', summary: 'No progress output (progress goes to stderr; --json keeps it).'}),
  };

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(DataFetch);
    if (!(DOWNLOADS as readonly string[]).includes(args.dataset)) throw new UserError(unknownName('data set', args.dataset, DOWNLOADS), undefined, 'usage');
    const result = await fetchDataset(args.dataset as DownloadName, {
      dir: flags.dir,
      baseUrl: flags['base-url'],
      force: flags.force,
      hooks: fetchProgress({quiet: flags.quiet}),
    });
    const title = DOWNLOAD_SOURCES[args.dataset as DownloadName].title;
    if (result.found) {
      const target = resolve(flags.dir ?? DOWNLOAD_SOURCES[args.dataset as DownloadName].defaultDir);
      this.log(`${title} is already in ${result.dir} (${result.files.length} files, SHA-256 checked), where normbench finds it: nothing downloaded. ` +
        `To download a copy into ${target} anyway: --force.`);
      return result;
    }
    const width = Math.max(...result.files.map((f) => f.name.length));
    for (const f of result.files) this.log(`${f.name.padEnd(width)}  ${formatBytes(f.bytes).padStart(8)}  ${f.sha256}  ${f.status}`);
    const downloaded = result.files.filter((f) => f.status === 'downloaded').length;
    this.log(`${title}: ${result.files.length} files verified in ${result.dir} ` +
      `(${downloaded} downloaded, ${result.files.length - downloaded} already present)`);
    return result;
  }
}
