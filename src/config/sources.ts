// Where every value of a merged experiment came from: which file, line and column.
// Layers are kept in order of precedence (parents first, the experiment file, then --set).

import {isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node} from 'yaml';
import type {SourceLocation} from '../errors.js';

export type KeyPath = ReadonlyArray<string | number>;

export interface SourceLayer {
  /** Path of the YAML file, or `--set` for command-line overrides. */
  file: string;
  data: Record<string, unknown>;
  doc?: Document;
  lineCounter?: LineCounter;
}

export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** The YAML node at `path`: the value's node, or the key's node when `preferKey`. */
function nodeAt(doc: Document, path: KeyPath, preferKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return undefined;
      if (last && (preferKey || pair.value === null)) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  return node as Node | undefined;
}

function hasPath(data: unknown, path: KeyPath): boolean {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !(String(seg) in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return true;
}

export class ConfigSources {
  constructor(readonly layers: SourceLayer[]) {}

  /** The main experiment file (the last YAML layer). */
  get file(): string {
    const yamlLayers = this.layers.filter((l) => l.doc);
    return yamlLayers[yamlLayers.length - 1]?.file ?? this.layers[0]?.file ?? '<config>';
  }

  /**
   * Where `path` was set: the highest-precedence layer that holds it; else the one holding
   * its deepest existing parent (a missing key is reported where its parent is).
   */
  locate(path: KeyPath, preferKey = false): SourceLocation {
    const pathText = formatPath(path);
    for (let depth = path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth);
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const layer = this.layers[i]!;
        if (depth > 0 && !hasPath(layer.data, prefix)) continue;
        if (!layer.doc || !layer.lineCounter) return {file: layer.file, path: pathText || undefined};
        const node = nodeAt(layer.doc, prefix, preferKey && depth === path.length);
        const offset = node?.range?.[0] ?? 0;
        const {line, col} = layer.lineCounter.linePos(offset);
        return {file: layer.file, line, col, path: pathText || undefined};
      }
    }
    return {file: this.file, path: pathText || undefined};
  }
}
