// The floor of plain types and vocabularies; every other folder may import it, it imports nothing.
export * from './names.js';
export type * from './experiment.js';
export type * from './records.js';
export * from './targets.js';
export * from './tune.js';
export * from './datasets.js';
