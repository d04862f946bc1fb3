#!/usr/bin/env bash
# bench/report.sh: how long `testsift report` takes on a 10-million-execution store, and how big
# its files get.
#
# usage (from the repository root):
#   bench/report.sh [--quick] [HISTORY_DIR]
#
# Without HISTORY_DIR, uses target/bench-history-report (2000 runs x 5000 tests x 4 shards =
# 10,000,000 test executions), generating it with `synth` if it does not exist yet; --quick uses
# target/bench-history-quick (100 runs x 2000 tests) instead. Builds testsift and synth in
# release mode, ingests the history once into target/bench-report-store (kept between runs,
# rebuilt when missing), then runs `testsift report --store STORE --out <tmp> --no-previous`
# 3 times and prints a Markdown table (best-of-3 wall time, peak RSS, file sizes) on stdout.
#
# environment:
#   RAYON_NUM_THREADS  threads (default: nproc)
#   BENCH_REPEAT       runs of `report` (default: 3)
set -euo pipefail

log() { printf 'report.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

quick=0
history=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        -h | --help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *) history=$1 ;;
    esac
    shift
done
[ -f bench/report.sh ] && [ -f Cargo.toml ] || die "run this from the repository root: bench/report.sh"

threads=${RAYON_NUM_THREADS:-$(nproc)}
export RAYON_NUM_THREADS=$threads
repeat=${BENCH_REPEAT:-3}

log "building testsift and synth (release)"
cargo build --release --bin testsift >&2
cargo build --release -p testsift-bench --bin synth >&2
testsift=target/release/testsift
synth=target/release/synth

if [ -z "$history" ]; then
    if [ "$quick" = 1 ]; then
        history=target/bench-history-quick runs=100 tests=2000
    else
        history=target/bench-history-report runs=2000 tests=5000
    fi
    if [ ! -d "$history" ]; then
        log "generating $history ($runs runs x $tests tests x 4 shards)"
        rm -rf "$history.partial"
        "$synth" --runs "$runs" --tests "$tests" --shards 4 "$history.partial"
        mv "$history.partial" "$history"
    fi
fi
[ -d "$history" ] || die "$history is not a directory"

store="target/bench-report-store-$(basename "$history")"
if [ ! -f "$store/manifest.json" ]; then
    log "ingesting $history into $store"
    rm -rf "$store"
    "$testsift" ingest "$history" --store "$store" --quiet
fi
executions=$("$testsift" stats --store "$store" --format json | sed -n 's/.*"executions": *\([0-9]*\).*/\1/p')
tests=$("$testsift" stats --store "$store" --format json | sed -n 's/.*"tests": *\([0-9]*\).*/\1/p')
runs=$("$testsift" stats --store "$store" --format json | sed -n 's/.*"runs": *\([0-9]*\).*/\1/p')

time_bin=""
if [ -x /usr/bin/time ] && /usr/bin/time -v true > /dev/null 2>&1; then
    time_bin=/usr/bin/time
fi
work=$(mktemp -d target/bench-report.XXXXXX)
trap 'rm -rf "$work"' EXIT

best="" rss_max=0 cpu_s=
for i in $(seq 1 "$repeat"); do
    out="$work/out-$i"
    t0=$(date +%s.%N)
    if [ -n "$time_bin" ]; then
        "$time_bin" -v -o "$work/time-$i" "$testsift" report --store "$store" --out "$out" --no-previous > /dev/null
        rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$work/time-$i")
        cpu_i=$(awk -F: '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$work/time-$i")
    else
        "$testsift" report --store "$store" --out "$out" --no-previous > /dev/null
        rss=0 cpu_i=""
    fi
    t1=$(date +%s.%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    log "report run $i: $wall s, peak RSS $((rss / 1024)) MB"
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$wall cpu_s=$cpu_i
    fi
    if [ "$rss" -gt "$rss_max" ]; then rss_max=$rss; fi
    # The report keeps a copy under the store; drop it so every run starts the same.
    rm -rf "$store/reports"
done
# Where the time goes: each analysis alone, as its own command, over the same store.
parts=""
for analysis in flaky slow trim; do
    if [ -n "$time_bin" ]; then
        "$time_bin" -v -o "$work/$analysis.time" "$testsift" "$analysis" --store "$store" --format json > /dev/null
        part=$(awk -F: '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$work/$analysis.time")
        parts="$parts $analysis $part,"
        log "testsift $analysis alone: $part CPU s"
    fi
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

size() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f KB", b / 1024 }'; }
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2> /dev/null || true)

cat << EOF
## testsift report on $executions test executions

| measure | value | target |
|---|---:|---|
| wall s (best of $repeat) | $best | < 15 s on 2 cores |
| CPU s, user + system (of the best run) | ${cpu_s:-n/a} | |
| peak RSS MB (max of $repeat) | $((rss_max / 1024)) | |
| report.html | $(size "$work/out-1/report.html") | < 5 MB |
| report.md | $(size "$work/out-1/report.md") | < 60 KB |
| report.json | $(size "$work/out-1/report.json") | |

- store: \`$store\`, $runs runs, $tests tests, $executions executions
- threads: $threads (RAYON_NUM_THREADS); load average at the end: $load
- CPU s of each analysis run alone (\`testsift ANALYSIS --format json\`):${parts%,}
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(uname -m), ${cpu:-unknown CPU}, nproc $(nproc)
EOF
