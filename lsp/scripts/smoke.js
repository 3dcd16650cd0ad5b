#!/usr/bin/env node
// Smoke test of the built server jar as an editor runs it: `java -jar` over stdio, LSP's
// Content-Length framing, no lsp4j on the client side (the Java tests use lsp4j at both ends, in
// one JVM, so they cannot see a broken shaded jar or a message lsp4j reads but another client
// would not). It opens a file of two scenarios pinning two kernels and checks that diagnostics,
// hover, completion, signature help and go to definition answer with each scenario's prelude; then, in a
// second file, that a goto completes its path's labels and that references, highlights and rename follow
// the checker's scopes (a shadowed local and a word in a comment untouched, a kernel path refused), and
// still answer while it does not parse (a half-typed line, a block left open; rename refused); and a
// pasted C declaration's variable and quick fix; a path of an import renamed in both files. Wired into no build.
//
//   node lsp/scripts/smoke.js [lsp/target/mmu-lsp-<version>-server.jar]     exit 0 if all hold
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL, fileURLToPath } = require('url');

const target = path.resolve(__dirname, '..', 'target');
const jar = process.argv[2] || (fs.existsSync(target)
  && fs.readdirSync(target).filter((f) => /^mmu-lsp-.*-server\.jar$/.test(f)).map((f) => path.join(target, f))[0]);
if (!jar || !fs.existsSync(jar)) {
  console.error('no server jar: build it with `mvn -B -ntp -pl lsp -am package -DskipTests`, or pass its path');
  process.exit(2);
}

const TEXT = `scenario "old" {
  vm { kernel 6.12 }
  memslot 0 { gpa 0x0 size 2M }
  thread t {
    kvm_recover_nx_huge_pages()
  }
}
scenario "new" {
  memslot 0 { gpa 0x0 size 2M }
  thread t {
    kvm_recover_nx_huge_pages(KVM_TDP_MMU)
  }
}
`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmu-lsp-smoke-'));
const file = path.join(dir, 'two.mmu');
fs.writeFileSync(file, TEXT);
const uri = pathToFileURL(file).toString();
// The file LanguageServerTest asks the same of: a shadowed flush, a label, a kernel path, the words in a comment and a string.
const NAMES = fs.readFileSync(path.resolve(__dirname, '..', 'src', 'test', 'resources', 'names.mmu'), 'utf8');
const namesUri = pathToFileURL(path.join(dir, 'names.mmu')).toString();

const server = spawn('java', ['-jar', jar], { stdio: ['pipe', 'pipe', 'inherit'] });
let input = Buffer.alloc(0);
const answers = new Map();
const notes = [];
let lastId = 0;
server.stdout.on('data', (chunk) => {
  input = Buffer.concat([input, chunk]);
  for (;;) {
    const end = input.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/Content-Length: *(\d+)/i.exec(input.subarray(0, end).toString())[1]);
    if (input.length < end + 4 + length) return;
    const message = JSON.parse(input.subarray(end + 4, end + 4 + length).toString());
    input = input.subarray(end + 4 + length);
    if (message.id !== undefined && answers.has(message.id)) answers.get(message.id)(message);
    else notes.push(message);
  }
});
function send(message) {
  const body = JSON.stringify({ jsonrpc: '2.0', ...message });
  server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
function request(method, params) {
  const id = ++lastId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(method + ': no answer in 30 s')), 30000);
    answers.set(id, (m) => { clearTimeout(timer); return m.error ? reject(new Error(method + ': ' + m.error.message)) : resolve(m.result); });
    send({ id, method, params });
  });
}
const at = (line, character) => ({ textDocument: { uri }, position: { line, character } });

let failures = 0;
function check(what, ok, got) {
  console.log((ok ? 'ok    ' : 'FAIL  ') + what + (ok ? '' : '\n      got: ' + JSON.stringify(got)));
  if (!ok) failures++;
}

(async () => {
  const init = await request('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  check('initialize: hover, definition and completion', init.capabilities.hoverProvider
    && init.capabilities.definitionProvider && init.capabilities.completionProvider, init.capabilities);
  const sig = init.capabilities.signatureHelpProvider;
  check('initialize: signature help on ( and ,', sig && JSON.stringify(sig.triggerCharacters) === '["(",","]', sig);
  send({ method: 'initialized', params: {} });
  send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'mmu', version: 1, text: TEXT } } });

  for (const [line, version, params] of [[4, '6.12', '()'], [10, '7.2', '(mmu_type: int)']]) {
    const hover = (await request('textDocument/hover', at(line, 8)))?.contents?.value || '';
    check(`hover, kernel ${version}: kvm_recover_nx_huge_pages${params}`, hover.includes('kvm_recover_nx_huge_pages'
      + params + '\n```') && hover.includes(`(kernel ${version}`), hover.slice(-300));
    const items = await request('textDocument/completion', at(line, 4));
    const item = (Array.isArray(items) ? items : items.items).find((i) => i.label === 'kvm_recover_nx_huge_pages' && i.labelDetails);
    check(`completion, kernel ${version}: ${params}`, item && item.labelDetails.detail === params
      && item.labelDetails.description === 'kernel ' + version, item);
    // Inside the call's parentheses: the parameters of the scenario's kernel, the first argument.
    const help = await request('textDocument/signatureHelp', at(line, 30));
    const signature = help && help.signatures && help.signatures[0];
    check(`signature help, kernel ${version}: kvm_recover_nx_huge_pages${params}`, signature
      && signature.label === 'kvm_recover_nx_huge_pages' + params && help.activeParameter === 0, help);
    const [location] = await request('textDocument/definition', at(line, 8));
    const declared = location && fs.readFileSync(fileURLToPath(location.uri), 'utf8').split('\n')[location.range.start.line];
    check(`definition, kernel ${version}: path kvm_recover_nx_huge_pages${params}`,
      declared === `path kvm_recover_nx_huge_pages${params} {` && location.uri.includes(`mmu-prelude-${version}-`), location);
  }
  // Diagnostics come from the checking thread, whenever it is done.
  const published = () => notes.filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === uri);
  for (let waited = 0; published().length === 0 && waited < 30000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const last = published().pop();
  check('diagnostics: none (each call suits its kernel)', last && last.params.diagnostics.length === 0, last);

  // Names: in a file of one path, a shadowed flush, a label and a kernel path.
  send({ method: 'textDocument/didOpen', params: { textDocument: { uri: namesUri, languageId: 'mmu', version: 1, text: NAMES } } });
  const inNames = (line, character) => ({ textDocument: { uri: namesUri }, position: { line, character } });
  check('initialize: references, highlights, rename with prepareRename', init.capabilities.referencesProvider
    && init.capabilities.documentHighlightProvider && init.capabilities.renameProvider?.prepareProvider, init.capabilities);
  const lines = (ranges) => JSON.stringify((ranges || []).map((r) => (r.range || r).start.line));
  const refs = await request('textDocument/references', { ...inNames(7, 6), context: { includeDeclaration: true } });
  check('references: the outer flush (lines 1, 2, 7), not the inner one', lines(refs) === '[1,2,7]', refs);
  const labelRefs = await request('textDocument/references', { ...inNames(9, 2), context: { includeDeclaration: true } });
  check('references: the label out and its goto', lines(labelRefs) === '[7,9]', labelRefs);
  const highlights = await request('textDocument/documentHighlight', inNames(1, 7));
  check('documentHighlight: the outer flush, its let a write', lines(highlights) === '[1,2,7]' && highlights[0].kind === 3, highlights);
  const prepared = await request('textDocument/prepareRename', inNames(2, 6));
  check('prepareRename: the word flush', prepared && prepared.start.character === 5 && prepared.end.character === 10, prepared);
  const edit = await request('textDocument/rename', { ...inNames(2, 6), newName: 'pending' });
  const edits = edit?.changes?.[namesUri];
  check('rename: the outer flush, not the inner one nor the comment', lines(edits) === '[1,2,7]'
    && edits.every((e) => e.newText === 'pending'), edit);
  const refused = await request('textDocument/rename', { ...inNames(8, 4), newName: 'commit' }).then(() => '', (e) => e.message);
  check('rename of a kernel path: refused with the reason', refused.includes('not declared in this file'), refused);
  send({ method: 'textDocument/didChange', params: { textDocument: { uri: namesUri, version: 2 },
    contentChanges: [{ text: NAMES.replace('goto out', 'goto ') }] } });
  const labels = await request('textDocument/completion', inNames(7, 22));
  check('completion after goto: the path\'s label', JSON.stringify((Array.isArray(labels) ? labels : labels.items)
    .map((i) => i.label)) === '["out"]', labels);

  // While a line is typed: the names answer from the other lines, a rename waits for the file to parse.
  send({ method: 'textDocument/didChange', params: { textDocument: { uri: namesUri, version: 3 },
    contentChanges: [{ text: NAMES.replace('  out:', '  lock wr\n  out:') }] } });
  const typedRefs = await request('textDocument/references', { ...inNames(7, 6), context: { includeDeclaration: true } });
  check('broken file, a line half-typed: references of flush still (lines 1, 2, 7)', lines(typedRefs) === '[1,2,7]', typedRefs);
  const typedLabel = await request('textDocument/documentHighlight', inNames(10, 3));
  check('broken file: the label, a line lower, and its goto', lines(typedLabel) === '[7,10]', typedLabel);
  const waits = await request('textDocument/rename', { ...inNames(7, 6), newName: 'pending' }).then(() => '', (e) => e.message);
  check('broken file: rename refused until it parses', waits.includes('the file does not parse'), waits);
  // A block left open (no line blanked parses it): from the last text that parsed, moved a line down.
  send({ method: 'textDocument/didChange', params: { textDocument: { uri: namesUri, version: 4 },
    contentChanges: [{ text: NAMES.replace('  lock write', '  if n > 0 {\n  lock write') }] } });
  const openRefs = await request('textDocument/references', { ...inNames(9, 4), context: { includeDeclaration: false } });
  check('broken file, a block left open: commit_zap\'s call a line lower', lines(openRefs) === '[9]'
    && openRefs[0].range.start.character === 2, openRefs);
  const noLocal = await request('textDocument/references', { ...inNames(8, 6), context: { includeDeclaration: true } });
  check('broken file, a block left open: no answer for a local (its block may have moved)', lines(noLocal) === '[]', noLocal);

  // A pasted C declaration: its variable resolves, and the diagnostic's quick fix writes `let`.
  const pasted = 'path p() {\n  bool flush = false;\n  if flush { flush = true }\n}\nscenario "s" {\n'
    + '  memslot 0 { gpa 0x0 size 2M }\n  thread t { p }\n}\n';
  const pastedUri = pathToFileURL(path.join(dir, 'pasted.mmu')).toString();
  send({ method: 'textDocument/didOpen', params: { textDocument: { uri: pastedUri, languageId: 'mmu', version: 1, text: pasted } } });
  const [pastedDef] = await request('textDocument/definition', { textDocument: { uri: pastedUri }, position: { line: 2, character: 6 } });
  check('C declaration: definition of flush is its `bool flush`', pastedDef && pastedDef.range.start.line === 1
    && pastedDef.range.start.character === 7, pastedDef);
  const pastedNotes = () => notes.filter((n) => n.method === 'textDocument/publishDiagnostics' && n.params.uri === pastedUri);
  for (let waited = 0; pastedNotes().length === 0 && waited < 30000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const cDiagnostics = pastedNotes().pop().params.diagnostics;
  const actions = await request('textDocument/codeAction', { textDocument: { uri: pastedUri }, range: cDiagnostics[0].range,
    context: { diagnostics: cDiagnostics } });
  const letFix = actions?.[0]?.edit?.changes?.[pastedUri]?.[0];
  check('C declaration: the quick fix writes let over bool', letFix && letFix.newText === 'let'
    && letFix.range.start.character === 2 && letFix.range.end.character === 6, actions);

  // A path of an imported file renamed from its caller: one edit of both files (no workspace folder: the files beside).
  fs.writeFileSync(path.join(dir, 'lib.mmu'), 'path flush_all() {\n  kvm_flush_remote_tlbs()\n}\n');
  const caller = 'import "lib.mmu"\nscenario "s" {\n  memslot 0 { gpa 0x0 size 2M }\n  thread t { flush_all }\n}\n';
  const callerUri = pathToFileURL(path.join(dir, 'caller.mmu')).toString();
  fs.writeFileSync(fileURLToPath(callerUri), caller);
  send({ method: 'textDocument/didOpen', params: { textDocument: { uri: callerUri, languageId: 'mmu', version: 1, text: caller } } });
  const across = await request('textDocument/rename', { textDocument: { uri: callerUri }, position: { line: 3, character: 14 },
    newName: 'flush_everything' }).catch((e) => ({ refused: e.message }));
  const libUri = pathToFileURL(path.join(dir, 'lib.mmu')).toString();
  check('rename of an imported path: the library and its caller', JSON.stringify(Object.keys(across?.changes || {}).sort())
    === JSON.stringify([callerUri, libUri].sort()) && across.changes[libUri][0].range.start.line === 0, across);

  await request('shutdown', null);
  send({ method: 'exit' });
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(failures ? `${failures} failed` : 'all passed');
  process.exitCode = failures ? 1 : 0;
})().catch((e) => {
  console.error(e.message);
  server.kill();
  process.exitCode = 1;
});
