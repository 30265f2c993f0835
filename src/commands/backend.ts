import {BaseCommand} from '../cli.js';
import {probeBackends, TFJS_VERSION} from '../backend.js';

export default class Backend extends BaseCommand {
  static override summary = 'Show which compute backends load here and which one `auto` picks.';
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const probes = await probeBackends();
    const auto = probes.find((p) => p.loads)?.name ?? null;
    this.log(`tfjs ${TFJS_VERSION} · node ${process.version}`);
    for (const p of probes) {
      this.log(`  ${p.name.padEnd(10)} ${p.loads ? 'loads' : `does not load: ${p.reason}`}${p.name === auto ? '   ← auto' : ''}`);
    }
    return {tfjs: TFJS_VERSION, auto, backends: probes};
  }
}
