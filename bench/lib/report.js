'use strict';
// Plain-text table for the terminal (and the README), JSON for anything that wants to compare runs.
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');

/** `align`: one letter per column, `l` for text, `r` for numbers. */
function table(align, headers, lines) {
  const widths = headers.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells) =>
    cells
      .map((c, i) => (align[i] === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

function printReport({ rows, comparisons, apiPeakRssMiB, notes = [] }) {
  const fixed = (n, digits) => n.toFixed(digits);
  if (rows.length > 0)
    console.log(
      `\n${table(
        'lrrr',
        ['name', 'rps', 'p50 ms', 'p99 ms'],
        // autocannon records latencies in whole milliseconds.
        rows.map((r) => [r.name, fixed(r.rps, 0), fixed(r.p50, 0), fixed(r.p99, 0)]),
      )}\n`,
    );
  if (comparisons.length > 0)
    console.log(
      `${table(
        'lrll',
        ['ratio', 'value', 'target', 'result'],
        comparisons.map((c) => [c.name, `${fixed(c.ratio, 2)}x`, c.target, c.met ? 'met' : 'MISSED']),
      )}\n`,
    );
  for (const note of notes) console.log(`${note}\n`);
  console.log(`API peak resident memory (VmRSS): ${apiPeakRssMiB === null ? 'n/a' : `${fixed(apiPeakRssMiB, 1)} MiB`}\n`);
}

function writeJson(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}

module.exports = { printReport, table, writeJson };
