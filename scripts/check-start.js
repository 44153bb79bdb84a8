'use strict';
// `npm start` runs this before its build: when ReferLoop already runs from this folder (or its port is
// taken), say so and stop here, because the build would empty dist/ under the running copy. The built
// API answers the question itself (`--check-start`); a build that predates the flag, or none, has
// nothing to check yet.
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist/apps/api/apps/api/src/main.js');
if (!existsSync(main) || !readFileSync(main, 'utf8').includes('--check-start')) process.exit(0);
const { status } = spawnSync(process.execPath, [main, '--check-start'], { stdio: 'inherit' });
process.exit(status ?? 1);
