#!/usr/bin/env bash
# bench/scale.sh: the largest history the tool is measured on, from XML to the report.
#
# usage (from the repository root):
#   bench/scale.sh [--runs N] [--tests N] [--chunks K]
#
# --chunks K writes and ingests the history K chunks of RUNS/K runs at a time, removing each
# chunk's XML once it is ingested, so that a history larger than the disk can be measured (the
# chunks are the same generated runs, each chunk's run ids renamed `run-cK-NNNN`; the ingest
# figures are then the sum of the chunks' times and the largest peak).
#
# Generates target/bench-scale-RUNSxTESTS with `synth` (2000 runs x 10000 tests x 4 shards =
# 20,000,000 test cases by default), ingests it into a fresh store, checks the execution count,
# then runs `report --out DIR` on it; prints wall time, CPU time and peak RSS (GNU time -v) of
# the ingest and the report, and the sizes of the XML and the store, as a Markdown table. The
# XML is removed afterwards unless BENCH_KEEP=1 (it takes about 7.5 GB at the default size).
#
# environment:
#   TESTSIFT_BIN   testsift binary to measure (default: target/release/testsift, built here)
set -euo pipefail

log() { printf 'scale.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

runs=2000
tests=10000
chunks=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift ;;
        --tests) tests=$2; shift ;;
        --chunks) chunks=$2; shift ;;
        *) die "unknown argument $1" ;;
    esac
    shift
done
[ -f bench/scale.sh ] || die "run this from the repository root: bench/scale.sh"
[ -x /usr/bin/time ] || die "needs GNU time (/usr/bin/time)"

if [ -n "${TESTSIFT_BIN:-}" ]; then
    cargo build --release -p testsift-bench >&2
    testsift=$TESTSIFT_BIN
else
    cargo build --release --workspace >&2
    testsift=target/release/testsift
fi
history=target/bench-scale-${runs}x${tests}
store=$history.store
out=$history.report
[ $((runs % chunks)) = 0 ] || die "--runs must be a multiple of --chunks"
rm -rf "$store" "$out"

measure() { # NAME CMD...: prints "wall cpu rss_mb"
    local name=$1
    shift
    /usr/bin/time -v -o "$history.$name.time" "$@" > /dev/null
    local wall cpu_u cpu_s rss
    wall=$(sed -nE 's/.*Elapsed \(wall clock\) time.*: ([0-9:.]+)/\1/p' "$history.$name.time" \
        | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    cpu_u=$(sed -nE 's/.*User time \(seconds\): ([0-9.]+)/\1/p' "$history.$name.time")
    cpu_s=$(sed -nE 's/.*System time \(seconds\): ([0-9.]+)/\1/p' "$history.$name.time")
    rss=$(sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p' "$history.$name.time")
    printf '%s %s %s\n' "$wall" "$(echo "$cpu_u + $cpu_s" | bc)" "$((rss / 1024))"
}

# Writes chunk C (1-based) of the history into DIR: all of it when there is one chunk.
generate() { # C DIR
    local c=$1 dir=$2
    rm -rf "$dir.partial"
    target/release/synth --runs $((runs / chunks)) --tests "$tests" --shards 4 "$dir.partial" >&2
    if [ "$chunks" -gt 1 ]; then
        find "$dir.partial" -name run.json -print0 \
            | xargs -0 sed -i "s/\"run_id\": \"run-/\"run_id\": \"run-c$c-/"
    fi
    mv "$dir.partial" "$dir"
}

iw=0 ic=0 ir=0 xml_mb=0
for c in $(seq 1 "$chunks"); do
    chunk=$history
    [ "$chunks" -gt 1 ] && chunk=$history.chunk-$c
    if [ ! -d "$chunk" ]; then
        log "generating $chunk"
        generate "$c" "$chunk"
    fi
    xml_mb=$((xml_mb + $(du -sm "$chunk" | cut -f1)))
    log "ingesting $chunk"
    read -r w cpu rss < <(measure ingest "$testsift" ingest "$chunk" --store "$store" --quiet)
    iw=$(awk -v a="$iw" -v b="$w" 'BEGIN { printf "%.2f", a + b }')
    ic=$(awk -v a="$ic" -v b="$cpu" 'BEGIN { printf "%.2f", a + b }')
    [ "$rss" -gt "$ir" ] && ir=$rss
    if [ "$chunks" -gt 1 ] && [ -z "${BENCH_KEEP:-}" ]; then
        rm -rf "$chunk"
    fi
done
executions=$("$testsift" stats --store "$store" --format json | sed -nE 's/.*"executions": *([0-9]+).*/\1/p' | head -n 1)
[ "$executions" = "$((runs * tests))" ] || die "the store holds $executions executions, expected $((runs * tests))"
store_mb=$(du -sm "$store" | cut -f1)
log "report on $executions executions"
read -r rw rc rr < <(measure report "$testsift" report --store "$store" --out "$out" --no-previous --quiet)

echo "## testsift at scale: $runs runs x $tests tests ($executions executions)"
echo
echo "| step | wall s | CPU s | peak RSS MB |"
echo "|---|---:|---:|---:|"
echo "| \`ingest\` ($xml_mb MB of XML) | $iw | $ic | $ir |"
echo "| \`report --out DIR\` | $rw | $rc | $rr |"
echo
echo "- store: $store_mb MB; date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), nproc $(nproc), $(free -g | awk '/Mem:/ {print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${BENCH_KEEP:-}" ]; then
    rm -rf "$history"
fi
