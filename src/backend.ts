// Compute backends. `auto` takes tfjs-node (native TensorFlow) when it loads, else WebAssembly,
// else the pure-JavaScript cpu backend. The choice is recorded in every manifest.

import * as tf from './tf.js';
import {UserError} from './errors.js';
import {unknownName} from './suggest.js';

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const BACKEND_CHOICES = ['auto', ...BACKENDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

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

/** Select and initialise a backend; returns the name actually in use. */
export async function useBackend(choice: string = 'auto'): Promise<BackendName> {
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
  for (const name of BACKENDS) {
    const probe = await tryBackend(name);
    if (probe.loads) {
      active = name;
      return name;
    }
  }
  throw new Error('No tfjs backend loads (tensorflow, wasm and cpu all failed).');
}

/** Which backends load on this machine, in `auto`'s order of preference. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const name of BACKENDS) probes.push(await tryBackend(name));
  if (active) await tf.setBackend(active);
  return probes;
}

export const TFJS_VERSION: string = tf.version_core;
