#!/usr/bin/env node
// `npm run test:unit`: the unit tests, no broker needed: every *.test.js of the built packages,
// the bench's pure logic and these scripts. Given to `node --test` as files, not directories:
// Node 21 and later read a directory argument as a glob and run it as a module.
import { join } from 'node:path';
import { runTests, testFiles } from './lib/integration-batches.js';

const root = join(import.meta.dirname, '..');
const dirs = ['packages/core/dist', 'packages/cli/dist', 'packages/testing/dist', 'bench/dist/lib', 'scripts/lib'];
const files = dirs.flatMap((d) => testFiles(join(root, d)));
process.exit(await runTests(root, 'unit', files, process.env.WARREN_UNIT_CONCURRENCY ?? '3'));
