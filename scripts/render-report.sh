#!/usr/bin/env bash
# scripts/render-report.sh: renders a report.html in headless Chromium the way a person would
# see it, and checks it.
#
# usage: scripts/render-report.sh REPORT_HTML PNG [WIDTH]
#        SCALE=0.75 scripts/render-report.sh ...   (device scale factor of the screenshot)
#
# Writes a full-page screenshot to PNG (WIDTH pixels wide, 1280 by default; 390 looks like a
# phone), then loads the page again with console logging on and dumps the DOM after scripts ran.
# Fails (exit 1) when the page logged a console error, a Content-Security-Policy violation or an
# uncaught exception, when a chart is missing (the heat map, the sparklines, the CI load bars or
# the trim curve, each an <svg class="chart ...">), or when a <script> other than the page's own
# is in the DOM. Exit 2 when Chromium is missing (scripts/install-chromium.sh installs it).
set -euo pipefail

log() { printf 'render-report.sh: %s\n' "$*" >&2; }
[ $# -ge 2 ] || { sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
html=$1
png=$2
width=${3:-1280}
[ -f "$html" ] || { log "error: $html: no such file"; exit 2; }

chromium=""
for bin in chromium chromium-browser; do
    if command -v "$bin" >/dev/null 2>&1; then chromium=$(command -v "$bin"); break; fi
done
[ -n "$chromium" ] || { log "error: chromium is not installed (scripts/install-chromium.sh)"; exit 2; }

url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
    --no-default-browser-check --disable-extensions --disable-background-networking
    --disable-component-update --disable-sync --user-data-dir="$work/profile")

# 1. The DOM after the scripts ran, with the console on stderr.
"$chromium" "${flags[@]}" --window-size="$width,1000" --enable-logging=stderr --v=0 \
    --virtual-time-budget=3000 --dump-dom "$url" >"$work/dom.html" 2>"$work/console.log" || {
    log "error: chromium failed to load $url"; cat "$work/console.log" >&2; exit 1; }

# 2. The page's full height at this width, then a screenshot of all of it.
height=$(grep -o 'data-page-height="[0-9]*"' "$work/dom.html" | grep -o '[0-9]*' || true)
"$chromium" "${flags[@]}" --window-size="$width,${height:-3000}" --virtual-time-budget=3000 \
    --force-device-scale-factor="${SCALE:-1}" \
    --screenshot="$png" "$url" >/dev/null 2>"$work/shot.log" || {
    log "error: chromium could not take the screenshot"; cat "$work/shot.log" >&2; exit 1; }
[ -s "$png" ] || { log "error: no screenshot written"; exit 1; }

status=0
# Console lines look like: [..:INFO:CONSOLE:12] "message", source: file:///... (12)
# (errors, CSP violations and uncaught exceptions all come out this way).
if grep -E 'CONSOLE[(:]|Uncaught|Content Security Policy|Refused to' "$work/console.log" >"$work/errors.log"; then
    log "error: the page logged to the console:"
    cat "$work/errors.log" >&2
    status=1
fi
for chart in heatmap spark bars curve; do
    if ! grep -q "<svg class=\"chart $chart\"" "$work/dom.html"; then
        log "error: no $chart chart (<svg class=\"chart $chart\">) in the rendered page"
        status=1
    fi
done
scripts=$(grep -o '<script' "$work/dom.html" | wc -l)
if [ "$scripts" -ne 1 ]; then
    log "error: $scripts <script> elements in the rendered page, expected only the page's own"
    status=1
fi
if [ "$status" -eq 0 ]; then
    log "ok: $html loads without console errors, all four charts present; screenshot $png (${width}x${height:-3000})"
fi
exit $status
