'use strict';
// The language server driven by VS Code's own client library (vscode-languageserver-protocol,
// what vscode-languageclient speaks through), started as the extension starts it: open a
// scenario, get its diagnostics, complete inside a thread, ask for the outline, format, and
// apply the quick fix. Needs lsp/target/mmu-lsp-*-server.jar: `mvn verify` builds the lsp module
// before this one; under `mvn test` alone the jar is not there and the test says it skips.
const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { spawn } = require('child_process');
const {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter,
  InitializeRequest, InitializedNotification, DidOpenTextDocumentNotification, PublishDiagnosticsNotification,
  CompletionRequest, DocumentSymbolRequest, DocumentFormattingRequest, CodeActionRequest,
  ShutdownRequest, ExitNotification,
} = require('vscode-languageserver-protocol/node');
const { serverCommand } = require('../../server-command');

const MESSY = [
  'path zap_all() {',
  '    lock write',
  '    commit_zap()',
  '  unlock',
  '}',
  'scenario "s" {',
  '  memslot 0 { gpa 0x0   size 2M }',
  '  vcpus 2',
  '  thread zapper { zap_all }',
  '  thread vcpu 1 {',
  '    read 0x1000',
  '    ',
  '  }',
  '  expect never use_after_fre',
  '}',
  '',
].join('\n');
const URI = 'file:///tmp/mmu-client-test/messy.mmu';

const command = serverCommand({ extensionPath: path.resolve(__dirname, '..', '..'), javaHome: process.env.JAVA_HOME });

test('an LSP client gets diagnostics, completion, outline, formatting and a quick fix', { timeout: 120000,
  skip: command.error && 'no server jar (run `mvn verify`, which builds lsp first)' }, async () => {
  const server = spawn(command.command, command.args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  const diagnostics = new Promise((resolve) => {
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => { if (p.uri === URI) resolve(p.diagnostics); });
  });
  connection.listen();
  try {
    const init = await connection.sendRequest(InitializeRequest.type,
      { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
    assert.ok(init.capabilities.completionProvider, 'completion offered');
    assert.ok(init.capabilities.documentSymbolProvider, 'outline offered');
    assert.ok(init.capabilities.documentFormattingProvider, 'formatting offered');
    assert.ok(init.capabilities.codeActionProvider, 'quick fixes offered');
    await connection.sendNotification(InitializedNotification.type, {});
    await connection.sendNotification(DidOpenTextDocumentNotification.type,
      { textDocument: { uri: URI, languageId: 'mmu', version: 1, text: MESSY } });
    const doc = { uri: URI };

    const found = await diagnostics;
    assert.strictEqual(found.length, 1);
    assert.match(found[0].message, /did you mean 'use_after_free'/);
    assert.deepStrictEqual(found[0].range.start, { line: 13, character: 15 });

    const completion = await connection.sendRequest(CompletionRequest.type,
      { textDocument: doc, position: { line: 11, character: 4 } });
    const labels = (Array.isArray(completion) ? completion : completion.items).map((i) => i.label);
    for (const inThread of ['read', 'lock', 'kvm_recover_nx_lpages', 'zap_all']) assert.ok(labels.includes(inThread), inThread);
    for (const elsewhere of ['memslot', 'use_after_free', 'nx_huge_pages']) assert.ok(!labels.includes(elsewhere), elsewhere);

    const outline = await connection.sendRequest(DocumentSymbolRequest.type, { textDocument: doc });
    assert.deepStrictEqual(outline.map((s) => s.name), ['path zap_all', 's']);
    assert.deepStrictEqual(outline[1].children.map((s) => s.name), ['thread zapper', 'thread vcpu 1']);

    const edits = await connection.sendRequest(DocumentFormattingRequest.type,
      { textDocument: doc, options: { tabSize: 2, insertSpaces: true } });
    assert.strictEqual(edits.length, 1);
    assert.ok(edits[0].newText.includes('  lock write\n  commit_zap()\n  unlock\n'), edits[0].newText);
    assert.ok(edits[0].newText.includes('memslot 0 { gpa 0x0 size 2M }'), edits[0].newText);

    const actions = await connection.sendRequest(CodeActionRequest.type,
      { textDocument: doc, range: found[0].range, context: { diagnostics: found } });
    assert.strictEqual(actions.length, 1);
    assert.strictEqual(actions[0].title, "Change to 'use_after_free'");
    assert.deepStrictEqual(actions[0].edit.changes[URI], [{ range: found[0].range, newText: 'use_after_free' }]);

    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    const code = await new Promise((resolve) => server.on('exit', resolve));
    assert.strictEqual(code, 0);
  } finally {
    connection.dispose();
    server.kill();
  }
});
