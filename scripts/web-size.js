#!/usr/bin/env node
// Prints the raw and gzip sizes of the built web app (dist/web) and what a first visit loads:
// the scripts, module preloads and stylesheets index.html references. Exits 1 over the budget.
//   node scripts/web-size.js [--json]
'use strict';

const { readFileSync, readdirSync, statSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');
const { gzipSync } = require('node:zlib');

const ROOT = join(__dirname, '..');
const WEB = join(ROOT, 'dist/web');
const FIRST_LOAD_JS_BUDGET = 250 * 1024;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** { files: [{ path, bytes, gzip }], firstLoad: { js, css, total } } in bytes. */
function measure() {
  if (!existsSync(join(WEB, 'index.html'))) throw new Error('dist/web/index.html is missing: run `npm run build` first');
  const sizes = files(WEB).map((path) => {
    const content = readFileSync(path);
    return { path: relative(WEB, path), bytes: content.length, gzip: gzipSync(content, { level: 9 }).length };
  });
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const pick = (ext) =>
    sizes.filter((f) => referenced.includes(f.path) && f.path.endsWith(ext)).reduce((sum, f) => sum + f.gzip, 0);
  const index = sizes.find((f) => f.path === 'index.html');
  const js = pick('.js');
  const css = pick('.css');
  return {
    files: sizes,
    firstLoad: { js, css, total: js + css + (index ? index.gzip : 0) },
    budget: { js: FIRST_LOAD_JS_BUDGET },
  };
}

module.exports = { measure, FIRST_LOAD_JS_BUDGET };

if (require.main === module) {
  const result = measure();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    for (const f of result.files.sort((a, b) => b.bytes - a.bytes)) {
      console.log(`${f.path.padEnd(36)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzip).padStart(9)}`);
    }
    console.log(
      `first load (gzip): JS ${kb(result.firstLoad.js)}, CSS ${kb(result.firstLoad.css)}, ` +
        `with index.html ${kb(result.firstLoad.total)}; JS budget ${kb(FIRST_LOAD_JS_BUDGET)}`,
    );
  }
  if (result.firstLoad.js > FIRST_LOAD_JS_BUDGET) {
    console.error('first-load JavaScript is over budget');
    process.exitCode = 1;
  }
}
