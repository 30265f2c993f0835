// Compute backends. `auto` picks by a measured rule (`npm run bench -- --backend wasm,tensorflow
// --width W`, 784-W-W-W-10 MLP, batch 60, one process on 2 cores): per-op overhead decides small
// models, where WebAssembly is faster (width 100: wasm 337 / 255 steps/s, tensorflow 221 / 184,
// none / batch), and the matrix products decide large ones, where native TensorFlow's threads
// win (width 300: 82 / 121, 1000: 12 / 51, batch). They cross at width 200 (127 / 134). Two
// processes at once (`--workers 2` on 2 cores), total steps/s with batch norm: width 100 wasm 392 /
// tensorflow 273, 300: 158 / 179, 1000: 25 / 65, so the rule holds there too. So
// `auto` takes wasm for models whose widest layer has at most AUTO_NATIVE_WIDTH units and
// tfjs-node above it, each falling back to the other, then to the pure-JavaScript cpu backend
// (20 steps/s at width 100). Convnets go to tfjs-node also when their convolution work a step
// exceeds AUTO_NATIVE_CONV_MACS (below). The choice is recorded in every manifest.

import * as tf from './tf.js';
import {UserError} from './errors.js';
import {unknownName} from './suggest.js';
import {BACKEND_CHOICES, BACKENDS, type BackendName} from './spec/names.js';


export interface BackendProbe {
  name: BackendName;
  loads: boolean;
  /** Why it does not load, when it does not. */
  reason?: string;
}

const loaders: Record<BackendName, () => Promise<void>> = {
  // tfjs-node registers itself as 'tensorflow' on import; it is an optional dependency.
  async tensorflow() {
    const moduleName = '@tensorflow/tfjs-node';
    await import(moduleName);
  },
  async wasm() {
    await import('@tensorflow/tfjs-backend-wasm');
  },
  async cpu() {
    await import('@tensorflow/tfjs-backend-cpu');
  },
};

async function tryBackend(name: BackendName): Promise<BackendProbe> {
  try {
    await loaders[name]();
    const ok = await tf.setBackend(name);
    if (!ok) return {name, loads: false, reason: 'backend registered but failed to initialise'};
    await tf.ready();
    return {name, loads: true};
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return {name, loads: false, reason: message};
  }
}

let active: BackendName | undefined;

/** The widest layer (units) up to which `auto` prefers wasm over tensorflow. */
export const AUTO_NATIVE_WIDTH = 200;

/**
 * The convolution work of a training step (multiply-adds of the forward pass: batch size × the
 * convMacs of src/models/catalog.ts) above which `auto` prefers tensorflow for a convnet.
 * Measured as whole grids (4 runs, `--workers 2`, 2 cores, farm-bench -n 3, paired), tensorflow's
 * time over wasm's: the small convnet of experiments/cnn-batch-size (conv 8 → pool → conv 16 →
 * pool → flatten) at batch 4, 1.1 M a step: 1.37 (wasm faster); at batch 16, 4.5 M: 0.78; at 64,
 * 18 M: 0.61; the bench's convnet (conv 16 → 32 → 32, 1.47 M an example) at batch 8, 11.8 M:
 * 0.79; 32: 0.64; 128: 0.44. They cross at ~2.5 M (log-linear between the first two). In one
 * process the two tied at 11.8 M: tensorflow's native convolutions keep their lead when two
 * workers share the cores, its per-op cost only decides the smallest steps.
 */
export const AUTO_NATIVE_CONV_MACS = 2_500_000;

/**
 * `auto`'s order of preference for a grid whose widest dense or recurrent layer has `width`
 * units and whose heaviest convnet step does `convMacs` multiply-adds (0: unknown, or none).
 */
export function autoOrder(width = 0, convMacs = 0): BackendName[] {
  return width > AUTO_NATIVE_WIDTH || convMacs > AUTO_NATIVE_CONV_MACS ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'tensorflow', 'cpu'];
}

/**
 * Select and initialise a backend; returns the name actually in use. `width` (the widest layer of
 * the models to train) and `convMacs` (their heaviest convolution step) are for `auto`'s rule
 * (omitted: a small model, wasm first).
 */
export async function useBackend(choice: string = 'auto', width = 0, convMacs = 0): Promise<BackendName> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new UserError(unknownName('backend', choice, BACKEND_CHOICES));
  }
  tf.env().set('PROD', true);
  if (choice !== 'auto') {
    const probe = await tryBackend(choice as BackendName);
    if (!probe.loads) {
      throw new UserError(
        `Backend "${choice}" does not load here: ${probe.reason}. ` +
          `Run \`normbench backend\` to see which backends load, or use --backend auto.`,
      );
    }
    active = probe.name;
    return active;
  }
  for (const name of autoOrder(width, convMacs)) {
    const probe = await tryBackend(name);
    if (probe.loads) {
      active = name;
      return name;
    }
  }
  throw new Error('No tfjs backend loads (tensorflow, wasm and cpu all failed).');
}

/** Which backends load on this machine (tensorflow, wasm, cpu). */
export async function probeBackends(): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const name of BACKENDS) probes.push(await tryBackend(name));
  if (active) await tf.setBackend(active);
  return probes;
}

export const TFJS_VERSION: string = tf.version_core;
