#!/usr/bin/env bash
# bench/compaction.sh: does a store built by one ingest per CI run (as a CI job builds it) answer
# as fast, in as little memory and on as little disk as one built by a single ingest?
#
# usage (from the repository root):
#   bench/compaction.sh [HISTORY_DIR]
#
# Without HISTORY_DIR, uses TARGET/bench-history-200 (synth --runs 200 --tests 5000 --shards 4:
# 200 runs, 1,000,000 test executions), generating it with `synth` if it does not exist yet.
# Builds testsift and synth in release mode, ingests the history once into one store and run by
# run (one `ingest` per run folder, in name order) into another, then times `flaky`, `check` and
# `report` on both, taking turns (BENCH_REPEAT rounds), and prints a Markdown table: best wall
# time, peak RSS (/usr/bin/time -v), store size, segment count, and the per-run / one-shot ratio
# (target: at most 1.2). TARGET is $CARGO_TARGET_DIR, else target.
#
# environment:
#   RAYON_NUM_THREADS  threads (default: nproc; POLARS_MAX_THREADS follows it)
#   BENCH_REPEAT       rounds of the three commands (default: 3)
set -euo pipefail

log() { printf 'compaction.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

history=""
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *) history=$1 ;;
    esac
    shift
done
[ -f bench/compaction.sh ] && [ -f Cargo.toml ] || die "run this from the repository root: bench/compaction.sh"
[ -x /usr/bin/time ] && /usr/bin/time -v true > /dev/null 2>&1 || die "needs GNU time at /usr/bin/time (apt-get install time)"

threads=${RAYON_NUM_THREADS:-$(nproc)}
export RAYON_NUM_THREADS=$threads POLARS_MAX_THREADS=$threads
repeat=${BENCH_REPEAT:-3}
target=${CARGO_TARGET_DIR:-target}

log "building testsift and synth (release)"
cargo build --release --bin testsift >&2
cargo build --release -p testsift-bench --bin synth >&2
testsift=$target/release/testsift
synth=$target/release/synth

if [ -z "$history" ]; then
    history=$target/bench-history-200
    if [ ! -d "$history" ]; then
        log "generating $history (200 runs x 5000 tests x 4 shards)"
        rm -rf "$history.partial"
        "$synth" --runs 200 --tests 5000 --shards 4 "$history.partial" > /dev/null
        mv "$history.partial" "$history"
    fi
fi
[ -d "$history" ] || die "$history is not a directory"

work=$(mktemp -d "$target/bench-compaction.XXXXXX")
trap 'rm -rf "$work"' EXIT
once=$work/once per_run=$work/per-run

log "ingesting $history at once"
/usr/bin/time -v -o "$work/ingest-once.time" "$testsift" ingest "$history" --store "$once" --quiet
runs=0
start=$(date +%s.%N)
for run in "$history"/*/; do
    "$testsift" ingest "$run" --run-depth 0 --store "$per_run" --quiet
    runs=$((runs + 1))
done
end=$(date +%s.%N)
log "ingested $runs runs one at a time in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"

stat_of() { "$testsift" stats --store "$1" --format json | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"; }
for store in "$once" "$per_run"; do
    [ "$(stat_of "$store" runs)" = "$(stat_of "$once" runs)" ] || die "$store holds other runs than $once"
    [ "$(stat_of "$store" executions)" = "$(stat_of "$once" executions)" ] || die "$store holds other executions than $once"
done
bytes() { du -sb --exclude=reports "$1" | cut -f1; }
segments() { grep -c '"id"' "$1/manifest.json"; }
size_once=$(bytes "$once") size_per_run=$(bytes "$per_run")

# Best wall time and largest peak RSS of each command on each store; the stores take turns.
declare -A wall rss
measure() { # name store command...
    local name=$1 store=$2
    shift 2
    local t=$work/$name.time
    /usr/bin/time -v -o "$t" "$testsift" "$@" --store "$store" > /dev/null 2> "$work/$name.err" || {
        local code=$?
        # `check` exits 1 when a gate trips, which is an answer.
        [ "$1" = check ] && [ "$code" = 1 ] || { cat "$work/$name.err" >&2; die "$name failed ($code)"; }
    }
    local w r
    w=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$t")
    r=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$t")
    if [ -z "${wall[$name]:-}" ] || awk -v a="$w" -v b="${wall[$name]}" 'BEGIN { exit !(a < b) }'; then
        wall[$name]=$w
    fi
    if [ "$r" -gt "${rss[$name]:-0}" ]; then rss[$name]=$r; fi
    log "$name: $w s, $((r / 1024)) MB"
}
for round in $(seq 1 "$repeat"); do
    for kind in once per_run; do
        store=${!kind}
        measure "flaky-$kind" "$store" flaky --format json
        measure "check-$kind" "$store" check --fail-on broken --fail-on new-flaky
        measure "report-$kind" "$store" report --out "$work/out-$kind" --no-previous --quiet
        rm -rf "$store/reports" "$work/out-$kind"
    done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2> /dev/null || true)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2> /dev/null || true)

cat << EOF
## One ingest per run against one ingest of $runs runs

| measure | one ingest | $runs ingests | ratio | target |
|---|---:|---:|---:|---|
EOF
for command in flaky check report; do
    echo "| \`$command\` wall s (best of $repeat) | ${wall[$command-once]} | ${wall[$command-per_run]} | $(ratio "${wall[$command-per_run]}" "${wall[$command-once]}") | ≤ 1.2 |"
    echo "| \`$command\` peak RSS MB | $((rss[$command-once] / 1024)) | $((rss[$command-per_run] / 1024)) | $(ratio "${rss[$command-per_run]}" "${rss[$command-once]}") | ≤ 1.2 |"
done
cat << EOF
| store size MB | $(mb "$size_once") | $(mb "$size_per_run") | $(ratio "$size_per_run" "$size_once") | ≤ 1.2 |
| segments | $(segments "$once") | $(segments "$per_run") | | |

- history: \`$history\`, $runs runs, $(stat_of "$once" executions) executions, $(stat_of "$once" tests) tests
- threads: $threads (RAYON_NUM_THREADS, POLARS_MAX_THREADS); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(uname -m), ${cpu:-unknown CPU}, nproc $(nproc), ${mem:-unknown memory}
EOF
