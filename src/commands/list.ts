import {isAbsolute, join, relative} from 'node:path';
import {Args} from '@oclif/core';
import {BaseCommand} from '../cli.js';
import {BUNDLED_DIR, bundledExperiments} from '../config/find.js';
import {loadExperiment} from '../config/load.js';
import type {z} from 'zod';
import {datasetSchema, MODEL_VARIANTS} from '../config/schema.js';
import {ACTIVATIONS, DATASETS, MLP_LATER_DEFAULTS, NORMS} from '../spec/names.js';
import {findFashionMnist} from '../data/fashion-mnist.js';
import {verifyFashionMnist} from '../data/fashion-mnist-files.js';
import {DATASET_INFO} from '../data/registry.js';
import {UserError} from '../errors.js';
import {MODEL_CATALOG} from '../models/catalog.js';
import {NORM_CATALOG, normModels} from '../norms/catalog.js';
import {unknownName} from '../suggest.js';

const TOPICS = ['norms', 'activations', 'datasets', 'models', 'experiments'] as const;
type Topic = (typeof TOPICS)[number];

const ACTIVATION_INFO: Record<(typeof ACTIVATIONS)[number], string> = {
  relu: 'max(0, x)',
  sigmoid: '1 / (1 + e^−x)',
  tanh: 'tanh(x)',
  identity: 'x (no nonlinearity)',
};

/** Keys that every data set takes (limits, validation split, standardize), said once above the list. */
const commonDatasetKeys = (): string[] => {
  const shapes = datasetSchema.options.map((o) => Object.keys(o.shape));
  return shapes[0]!.filter((k) => k !== 'name' && shapes.every((keys) => keys.includes(k)));
};

const HEADINGS: Partial<Record<Topic, string>> = {
  datasets: `datasets (each also takes ${commonDatasetKeys().join(', ')}; see the README, "Experiment YAML"):`,
  experiments: 'experiments (run one by name: normbench run <name>; under each, its file, whose extends: paths are relative to it):',
};

/** Options whose default is not one value: it depends on where the norm sits. */
const CONTEXT_DEFAULTS: Record<string, string> = {gamma_init: '1 (mlp) or 0.1 (lstm, rnn)', share_stats: 'false'};

/** What a default alone does not say: of a norm option, and of a model's (`kind.option`). */
const OPTION_NOTES: Record<string, string> = {
  placement: ' (or post: after the activation; mlp only)',
  'mlp.hidden': ' (widths; [] = logistic regression)',
  'mlp.dropout': ' (inverted, on each hidden layer\'s output)',
};

function optionText(schema: {shape: Record<string, unknown>; parse(x: unknown): unknown}): string {
  const defaults = schema.parse({}) as Record<string, unknown>;
  const keys = Object.keys(schema.shape);
  const text = (k: string) => (defaults[k] === undefined ? (CONTEXT_DEFAULTS[k] ?? '—') : String(defaults[k])) + (OPTION_NOTES[k] ?? '');
  return keys.length ? keys.map((k) => `${k}=${text(k)}`).join(', ') : '—';
}

/** A model's options with their defaults (`required` for those without one). */
function modelOptionText(kind: string): string {
  const variant = MODEL_VARIANTS.find((o) => o.shape.kind.value === kind)!;
  const later = MLP_LATER_DEFAULTS as Record<string, unknown>;
  return Object.entries(variant.shape as Record<string, z.ZodType>).filter(([k]) => k !== 'kind').map(([k, field]) => {
    const parsed = field.safeParse(undefined);
    const value = !parsed.success ? 'required' : parsed.data === undefined ? (later[k] === undefined ? '—' : String(later[k])) : Array.isArray(parsed.data) ? JSON.stringify(parsed.data) : String(parsed.data);
    return `${k}=${value}${OPTION_NOTES[`${kind}.${k}`] ?? ''}`;
  }).join(', ');
}

/** A bundled file as a person would copy it: relative to here when it lies under here, else absolute. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function fullSetStatus(): string {
  const dir = findFashionMnist();
  if (!dir) return 'not found here (see data/README.md)';
  try {
    verifyFashionMnist(dir, 'full');
    return `found in ${dir} (official files, SHA-256 checked)`;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const first = error.all[0]!;
    return `found in ${dir}, but not the official files: ${first.location?.file ?? ''}: ${first.detail.split('\n')[0]}`;
  }
}

export default class List extends BaseCommand {
  static override summary = 'List norms, activations, datasets, models and bundled experiments.';
  static override enableJsonFlag = true;
  static override args = {
    topic: Args.string({description: `One of: ${TOPICS.join(', ')} (default: all).`, required: false}),
  };

  async run(): Promise<unknown> {
    const {args} = await this.parse(List);
    if (args.topic !== undefined && !(TOPICS as readonly string[]).includes(args.topic)) {
      throw new UserError(unknownName('topic', args.topic, TOPICS));
    }
    const topics = args.topic ? [args.topic as Topic] : [...TOPICS];
    const out: Record<string, unknown> = {};
    for (const topic of topics) {
      const rows = this.rows(topic);
      out[topic] = rows;
      this.log(HEADINGS[topic] ?? `${topic}:`);
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        this.log(`  ${r.name.padEnd(width)}  ${r.text}`);
        if (r.file) this.log(`  ${' '.repeat(width)}  ${shown(r.file)}`);
      }
      this.log('');
    }
    return out;
  }

  /** Each entry's name and line; a bundled experiment's file too (absolute; printed relative to here when under it). */
  private rows(topic: Topic): Array<{name: string; text: string; file?: string}> {
    switch (topic) {
      case 'norms':
        return NORMS.map((n) => ({
          name: n,
          text: `${NORM_CATALOG[n].summary} [${NORM_CATALOG[n].paper}] · models: ${normModels(n).join(', ')} · options: ${optionText(NORM_CATALOG[n].options)}`,
        }));
      case 'activations':
        return ACTIVATIONS.map((a) => ({name: a, text: ACTIVATION_INFO[a]}));
      case 'datasets':
        return DATASETS.map((d) => ({name: d, text: d === 'fashion-mnist' ? `${DATASET_INFO[d]} · ${fullSetStatus()}` : DATASET_INFO[d]}));
      case 'models':
        return Object.entries(MODEL_CATALOG).map(([name, m]) => ({name, text: `${m.summary} · options: ${modelOptionText(name)}`}));
      case 'experiments':
        return bundledExperiments().map((name) => {
          const file = join(BUNDLED_DIR, `${name}.yaml`);
          try {
            return {name, text: loadExperiment(file).config.question, file};
          } catch (error) {
            return {name, text: `(invalid: ${(error as Error).message})`, file};
          }
        });
    }
  }
}
