'use strict';
// Other work on the machine takes cores from the servers and the load generator alike, so a run
// checks first how busy the CPUs already are (Linux /proc/stat; null elsewhere).
const { readFileSync } = require('node:fs');
const { setTimeout: delay } = require('node:timers/promises');

function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + fields[4]; // idle + iowait
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Fraction (0..1) of all cores' time spent busy over the next `ms` milliseconds. */
async function cpuBusyFraction(ms = 1_000) {
  const before = cpuTimes();
  await delay(ms);
  const after = cpuTimes();
  if (!before || !after || after.total === before.total) return null;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}

module.exports = { cpuBusyFraction };
