#!/usr/bin/env node
import {execute, settings} from '@oclif/core';

// Always the compiled commands, whatever NODE_ENV says (oclif looks for TypeScript sources
// when NODE_ENV is "test" or "development"; bin/dev.js is the way to run those).
settings.enableAutoTranspile = false;

await execute({dir: import.meta.url});
