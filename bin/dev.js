#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the commands from src/ without building (development only; needs the tsx dev dependency).
import {execute} from '@oclif/core';

await execute({development: true, dir: import.meta.url});
