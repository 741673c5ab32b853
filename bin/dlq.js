#!/usr/bin/env node
// Thin entry point: all logic lives in src/ (compiled to dist/ by `npm ci`'s prepare step).
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv);
