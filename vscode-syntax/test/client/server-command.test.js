'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { serverCommand } = require('../../server-command');

const made = [];
test.after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

// A fake checkout: <root>/vscode-syntax is the extension, <root>/lsp/target the Maven output.
function checkout() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmu-ext-'));
  made.push(root);
  const ext = path.join(root, 'vscode-syntax');
  fs.mkdirSync(ext);
  return { root, ext };
}

test('uses the jar Maven built in a checkout', () => {
  const { root, ext } = checkout();
  fs.mkdirSync(path.join(root, 'lsp', 'target'), { recursive: true });
  const jar = path.join(root, 'lsp', 'target', 'mmu-lsp-0.1.0-SNAPSHOT-server.jar');
  fs.writeFileSync(jar, '');
  fs.writeFileSync(path.join(root, 'lsp', 'target', 'mmu-lsp-0.1.0-SNAPSHOT.jar'), '');
  assert.deepStrictEqual(serverCommand({ extensionPath: ext }), { command: 'java', args: ['-jar', jar] });
});

test('prefers the setting, then the jar packaged in the extension', () => {
  const { ext } = checkout();
  fs.mkdirSync(path.join(ext, 'server'));
  const packaged = path.join(ext, 'server', 'mmu-lsp.jar');
  fs.writeFileSync(packaged, '');
  assert.deepStrictEqual(serverCommand({ extensionPath: ext, javaHome: '/opt/jdk' }).args, ['-jar', packaged]);
  assert.strictEqual(serverCommand({ extensionPath: ext, javaHome: '/opt/jdk' }).command, path.join('/opt/jdk', 'bin', 'java'));
  const own = path.join(ext, 'own.jar');
  fs.writeFileSync(own, '');
  assert.deepStrictEqual(serverCommand({ extensionPath: ext, jar: own, java: '/usr/bin/java17' }),
    { command: '/usr/bin/java17', args: ['-jar', own] });
});

test('says how to build the jar when there is none', () => {
  const { ext } = checkout();
  const result = serverCommand({ extensionPath: ext });
  assert.match(result.error, /mvn -B -ntp -pl lsp -am package/);
});
