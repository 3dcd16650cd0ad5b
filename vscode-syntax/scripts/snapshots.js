#!/usr/bin/env node
// Snapshot tests over every example: the .mmu files stay where they are (examples/ and the
// interpreter's golden diagnostics), their .snap files live in test/snap/ under the same relative
// path. vscode-tmgrammar-snap wants each .snap beside its source, so both are staged in
// target/snap/ and the tool runs there. A source without a committed snapshot fails the run
// (the tool would silently create one), and so does a snapshot whose source is gone.
//
//   node scripts/snapshots.js            check
//   node scripts/snapshots.js --update   rewrite test/snap/ from the current grammar
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = path.resolve(__dirname, '..');
const repo = path.resolve(here, '..');
const sources = ['examples', 'interpreter/src/test/resources/diagnostics'];
const snapDir = path.join(here, 'test', 'snap');
const stage = path.join(here, 'target', 'snap');
const update = process.argv.includes('--update');

function mmuFiles(dir) {
  const root = path.join(repo, dir);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true })
    .filter((f) => f.endsWith('.mmu'))
    .map((f) => path.join(dir, f))
    .sort();
}

const files = sources.flatMap(mmuFiles);
if (files.length === 0) {
  console.error('snapshots: no .mmu files found under ' + sources.join(', '));
  process.exit(1);
}

fs.rmSync(stage, { recursive: true, force: true });
const missing = [];
for (const rel of files) {
  fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
  fs.copyFileSync(path.join(repo, rel), path.join(stage, rel));
  const snap = path.join(snapDir, rel + '.snap');
  if (fs.existsSync(snap)) fs.copyFileSync(snap, path.join(stage, rel + '.snap'));
  else missing.push(rel);
}
const stale = fs.existsSync(snapDir)
  ? fs.readdirSync(snapDir, { recursive: true })
      .filter((f) => f.endsWith('.mmu.snap'))
      .filter((f) => !files.includes(f.slice(0, -'.snap'.length)))
  : [];

if (!update && (missing.length || stale.length)) {
  missing.forEach((f) => console.error('snapshots: no snapshot for ' + f));
  stale.forEach((f) => console.error('snapshots: snapshot without a source: test/snap/' + f));
  console.error('snapshots: run `npm run snap:update` and review the diff');
  process.exit(1);
}

const tool = path.join(here, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'snapshot.js');
const args = [tool, '-g', path.join(here, 'syntaxes', 'mmu.tmLanguage.json'), '-s', 'source.mmu',
  ...(update ? ['--updateSnapshot'] : []), ...files.map((f) => path.join(stage, f))];
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status === null ? 1 : run.status || 1);

if (update) {
  stale.forEach((f) => fs.rmSync(path.join(snapDir, f)));
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(snapDir, rel)), { recursive: true });
    fs.copyFileSync(path.join(stage, rel + '.snap'), path.join(snapDir, rel + '.snap'));
  }
}
console.log(`snapshots: ${files.length} passed, 0 failed`);
