'use strict';
// Starts the mmu language server (lsp/, a Java jar speaking LSP on stdio) for .mmu files.
// Highlighting, brackets and snippets do not need it: without a jar they keep working.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');
const { serverCommand } = require('./server-command');

let client;

async function activate(context) {
  const settings = vscode.workspace.getConfiguration('mmu.languageServer');
  if (!settings.get('enabled', true)) return;
  const server = serverCommand({
    extensionPath: context.extensionPath,
    jar: settings.get('jar'),
    java: settings.get('java'),
    javaHome: process.env.JAVA_HOME,
  });
  if (server.error) {
    vscode.window.showWarningMessage(server.error);
    return;
  }
  client = new LanguageClient('mmu', 'mmu language server',
    { command: server.command, args: server.args },
    { documentSelector: [{ scheme: 'file', language: 'mmu' }, { scheme: 'untitled', language: 'mmu' }] });
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
