'use strict';
// What every bench entry point does around its measurements: build if needed, and undo what it
// started, in reverse order, on success, failure or Ctrl-C.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');

/** Clean-up steps, run last-in first-out; one failing step does not stop the others. */
function createCleanups() {
  const steps = [];
  return {
    steps,
    push: (step) => steps.push(step),
    async run() {
      while (steps.length > 0) {
        try {
          await steps.pop()();
        } catch (error) {
          console.error(`bench: clean-up failed: ${error.message}`);
        }
      }
    },
  };
}

/** Runs `npm run build` when the API's built entry point is missing. */
function ensureBuilt(apiDist) {
  if (existsSync(join(apiDist, 'main.js'))) return;
  console.log('bench: dist/ missing, running `npm run build`');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('`npm run build` failed');
}

module.exports = { createCleanups, ensureBuilt, ROOT };
