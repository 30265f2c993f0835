import {BaseCommand} from '../cli.js';

export default class Backend extends BaseCommand {
  static override summary = 'Show which compute backends load here and which one `auto` picks (wasm for small models, tensorflow for wide layers and heavy convnets).';
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    // tfjs loads here, not when the CLI starts (oclif reads every command's module to list them).
    const {AUTO_NATIVE_CONV_MACS, AUTO_NATIVE_WIDTH, autoOrder, probeBackends, TFJS_VERSION} = await import('../backend.js');
    const probes = await probeBackends();
    const pick = (width: number, convMacs: number) => autoOrder(width, convMacs).find((name) => probes.find((p) => p.name === name)?.loads) ?? null;
    const small = pick(AUTO_NATIVE_WIDTH, AUTO_NATIVE_CONV_MACS);
    const large = pick(AUTO_NATIVE_WIDTH + 1, AUTO_NATIVE_CONV_MACS + 1);
    const mega = String(AUTO_NATIVE_CONV_MACS / 1e6);
    this.log(`tfjs ${TFJS_VERSION} · node ${process.version}`);
    for (const p of probes) {
      const marks = [
        p.name === small ? `auto, layers ≤ ${AUTO_NATIVE_WIDTH} units and convnet steps ≤ ${mega} M multiply-adds` : '',
        p.name === large ? 'auto, wider layers or heavier convnets' : '',
      ].filter(Boolean);
      this.log(`  ${p.name.padEnd(10)} ${p.loads ? 'loads' : `does not load: ${p.reason}`}${marks.length ? `   ← ${marks.join('; ')}` : ''}`);
    }
    return {
      tfjs: TFJS_VERSION,
      auto: {small_models: small, large_models: large, width_threshold: AUTO_NATIVE_WIDTH, conv_macs_threshold: AUTO_NATIVE_CONV_MACS},
      backends: probes,
    };
  }
}
