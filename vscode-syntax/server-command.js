'use strict';
// Where the language server jar is and how to start it. Kept apart from extension.js, which needs
// the editor, so that node can test it.
const fs = require('fs');
const path = require('path');

const JAR = /^mmu-lsp-.*-server\.jar$/;

/**
 * The first jar that exists of: the `mmu.languageServer.jar` setting; server/mmu-lsp.jar inside
 * the extension (where a packaged .vsix carries it); the Maven build output of a checkout,
 * ../lsp/target/mmu-lsp-<version>-server.jar.
 *
 * @returns {{command: string, args: string[]} | {error: string}}
 */
function serverCommand({ extensionPath, jar, java, javaHome }) {
  const candidates = [];
  if (jar) candidates.push(jar);
  candidates.push(path.join(extensionPath, 'server', 'mmu-lsp.jar'));
  const built = path.join(extensionPath, '..', 'lsp', 'target');
  if (fs.existsSync(built)) {
    fs.readdirSync(built).filter((f) => JAR.test(f)).sort().forEach((f) => candidates.push(path.join(built, f)));
  }
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) {
    return {
      error: 'mmu language server jar not found (looked at ' + candidates.join(', ') + '). ' +
        'Build it with `mvn -B -ntp -pl lsp -am package -DskipTests` or set mmu.languageServer.jar.',
    };
  }
  const javaCommand = java || (javaHome ? path.join(javaHome, 'bin', 'java') : 'java');
  return { command: javaCommand, args: ['-jar', found] };
}

module.exports = { serverCommand };
