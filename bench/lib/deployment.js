'use strict';
// What a deployment runs that the benches must run too: the image's NODE_OPTIONS (the API's and the
// worker's V8 heap limit), read from the Dockerfile so the two cannot drift.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

function deployedNodeOptions() {
  const dockerfile = readFileSync(join(__dirname, '../../Dockerfile'), 'utf8');
  const match = /^\s*NODE_OPTIONS=(\S+)/m.exec(dockerfile);
  if (!match) throw new Error('bench: the Dockerfile sets no NODE_OPTIONS');
  return match[1];
}

module.exports = { deployedNodeOptions };
