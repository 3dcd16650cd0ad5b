#!/usr/bin/env bash
# Runs npm for the grammar tests, installing node first if the machine has none.
# Maven calls it (`npm ci`, then `npm test`); it also works by hand: scripts/npm.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

need_major=18   # vscode-textmate 9 and vscode-tmgrammar-test 0.1.3; tested on node 20

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "vscode-syntax: node/npm not found; installing Debian's nodejs and npm" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
  else
    echo "vscode-syntax: node >= $need_major and npm are needed for the grammar tests." >&2
    echo "  Install them (Debian/Ubuntu: sudo apt-get install nodejs npm), or skip these" >&2
    echo "  tests with: mvn -B -ntp verify -pl '!vscode-syntax'" >&2
    exit 2
  fi
fi

if [ "$(node_major)" -lt "$need_major" ]; then
  echo "vscode-syntax: node $(node --version) is too old; node >= $need_major is needed (20 is tested)." >&2
  exit 2
fi

exec npm --no-audit --no-fund --loglevel=error "$@"
