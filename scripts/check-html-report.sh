#!/bin/sh
# Renders the HTML report of a failing scenario in headless Chromium (Debian's `chromium`) and
# checks what a person would see: the summary, the step table and the SVG drawings laid out.
# Writes a screenshot; `--save-doc` also copies it to docs/html-report.png.
# Not part of `mvn verify`; exits 0 with "skipped" when chromium is not installed
# (apt-get install -y chromium).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "check-html-report: skipped (no chromium on PATH)"
  exit 0
fi
work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT

# A failing scenario: the pre-fix seed with its regression expectation turned into a safety claim.
sed 's/expect violation use_after_free/expect never use_after_free/; s/(pre-fix)"/(pre-fix), claimed safe"/' \
  "$here/examples/nx/seed-yield-pre-fix.mmu" > "$work/claimed-safe.mmu"
cp "$here/examples/nx/seed-yield-fixed.mmu" "$work/"
set +e
(cd "$work" && "$here/mmu" test --format html --out out claimed-safe.mmu seed-yield-fixed.mmu) > "$work/test.log" 2>&1
code=$?
set -e
if [ "$code" != 1 ]; then
  echo "check-html-report: expected exit 1 from mmu test, got $code"; cat "$work/test.log"; exit 1
fi
page="$work/out/mmu-report.html"

flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
  --disable-sync --no-first-run --user-data-dir=$profile"
# The DOM after layout: what the browser parsed, not what we wrote.
# shellcheck disable=SC2086
"$browser" $flags --dump-dom "file://$page" > "$work/dom.html" 2>/dev/null
fail=0
check() {
  if grep -q -- "$1" "$work/dom.html"; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi
}
check '1 passed, 1 failed' "summary line"
check '<table class="results">' "summary table"
check '<table class="steps">' "step table"
check 'use_after_free' "the violated invariant"
check '<svg' "SVG drawings"
check 'vCPU 1 TLB' "TLB drawn"
check 'sp0' "page tables drawn"
svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
echo "     $svgs SVG drawings in the page"

shot="${SHOT:-$work/html-report.png}"
# shellcheck disable=SC2086
"$browser" $flags --hide-scrollbars --window-size=1400,1750 --screenshot="$shot" "file://$page" 2>/dev/null
if [ ! -s "$shot" ]; then echo "FAIL screenshot"; fail=1; else echo "ok   screenshot $shot"; fi
if [ "${1:-}" = "--save-doc" ]; then cp "$shot" "$here/docs/html-report.png"; echo "saved docs/html-report.png"; fi
exit $fail
