// Writes schema/experiment.schema.json, the JSON Schema of an experiment file, from the zod schema
// (src/config/json-schema.ts). Run by `npm run schema`, which builds first; commit the result
// (test/config/json-schema.test.ts fails while the committed file differs).
import {writeFileSync} from 'node:fs';
import {relative} from 'node:path';
import {experimentJsonSchemaText, SCHEMA_FILE} from '../dist/src/config/json-schema.js';

writeFileSync(SCHEMA_FILE, experimentJsonSchemaText());
console.log(`wrote ${relative(process.cwd(), SCHEMA_FILE)}`);
