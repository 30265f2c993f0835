// The grid as written: a map of lists (their cartesian product), or a list of such maps — blocks
// whose products are joined, for cells that go together (each norm at its own learning rate). In
// a block a single value may stand without brackets; a value that is itself a list (model.hidden)
// keeps its brackets inside the list, as in the map form.

/** A grid: the cartesian product of one map's lists, or the union of several maps' products. */
export type GridSpec = Record<string, unknown[]> | Array<Record<string, unknown[]>>;

/** The grid's blocks: one for the map form. */
export function gridBlocks(grid: GridSpec | undefined): Array<Record<string, unknown[]>> {
  if (grid === undefined) return [{}];
  return Array.isArray(grid) ? grid : [grid];
}

/** Every key any block varies, in order of first appearance. */
export function gridKeys(grid: GridSpec | undefined): string[] {
  return [...new Set(gridBlocks(grid).flatMap((b) => Object.keys(b)))];
}

/** Whether some block varies `key`. */
export function gridVaries(grid: GridSpec | undefined, key: string): boolean {
  return gridBlocks(grid).some((b) => key in b);
}

/** The values one key takes across the blocks (each once, in order). */
export function gridValues(grid: GridSpec | undefined, key: string): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const block of gridBlocks(grid)) {
    for (const v of block[key] ?? []) {
      const k = JSON.stringify(v);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(v);
      }
    }
  }
  return out;
}
