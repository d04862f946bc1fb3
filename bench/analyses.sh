#!/usr/bin/env bash
# bench/analyses.sh: how long the analyses take on a history of 10 million test executions.
#
# usage (from the repository root):
#   bench/analyses.sh [--runs N] [--tests N]
#
# Builds release, generates target/bench-analyses-RUNSxTESTS with `synth` (2000 runs x 5000
# tests x 4 shards = 10,000,000 test cases by default; reused when present), ingests it once into
# target/bench-analyses-RUNSxTESTS.store (reused when present), checks the execution count with
# `testsift stats`, then times `flaky`, `slow` and `trim` (and `report --out DIR` when the binary
# has that subcommand) on the store, BENCH_REPEAT times each, and prints a Markdown table (best
# wall time, its CPU time, peak RSS) on stdout. Progress goes to stderr. The analyses read the
# store only.
#
# environment:
#   RAYON_NUM_THREADS, POLARS_MAX_THREADS  threads (default: nproc)
#   TESTSIFT_BIN   testsift binary to measure (default: target/release/testsift, built here)
#   BENCH_REPEAT   runs per command (default: 3)
#   BENCH_COMMANDS the commands to time (default: "flaky slow trim report"; report only when the
#                  binary has it)
set -euo pipefail

log() { printf 'analyses.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; }

runs=2000
tests=5000
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?--runs needs a value}; shift ;;
        --tests) tests=${2:?--tests needs a value}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument $1 (try --help)" ;;
    esac
    shift
done

if [ ! -f bench/analyses.sh ] || [ ! -f Cargo.toml ]; then
    die "run this from the repository root: bench/analyses.sh"
fi

threads=${RAYON_NUM_THREADS:-$(nproc)}
export RAYON_NUM_THREADS=$threads
export POLARS_MAX_THREADS=${POLARS_MAX_THREADS:-$threads}
repeat=${BENCH_REPEAT:-3}

# --- build -------------------------------------------------------------------------------------
if [ -n "${TESTSIFT_BIN:-}" ]; then
    log "building the bench tools (TESTSIFT_BIN=$TESTSIFT_BIN)"
    cargo build --release -p testsift-bench >&2
    testsift=$TESTSIFT_BIN
else
    log "building the workspace (release)"
    cargo build --release --workspace >&2
    testsift=target/release/testsift
fi
synth=target/release/synth
[ -x "$testsift" ] || die "$testsift is not an executable; build testsift or set TESTSIFT_BIN"

# --- history and store -------------------------------------------------------------------------
history=target/bench-analyses-${runs}x${tests}
store=$history.store
if [ ! -d "$history" ]; then
    log "generating $history ($runs runs x $tests tests x 4 shards)"
    rm -rf "$history.partial"
    "$synth" --runs "$runs" --tests "$tests" --shards 4 "$history.partial"
    mv "$history.partial" "$history"
fi
if [ ! -f "$store/manifest.json" ]; then
    log "ingesting $history into $store"
    rm -rf "$store"
    "$testsift" ingest "$history" --store "$store" --quiet
fi
stats=$("$testsift" stats --store "$store" --format json)
json_num() { printf '%s\n' "$stats" | sed -nE "s/.*\"$1\": *([0-9]+).*/\\1/p" | head -n 1; }
executions=$(json_num executions)
store_runs=$(json_num runs)
expected=$((runs * tests))
[ "$executions" = "$expected" ] \
    || die "the store holds $executions executions, expected $expected; remove $store and rerun"

# --- measuring tools ---------------------------------------------------------------------------
time_bin=""
if [ ! -x /usr/bin/time ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    log "installing GNU time (Debian package 'time') for peak RSS"
    apt-get install -y time > /dev/null 2>&1 \
        || { apt-get update > /dev/null 2>&1 && apt-get install -y time > /dev/null 2>&1; } \
        || log "could not install 'time'; falling back to /proc polling"
fi
if [ -x /usr/bin/time ] && /usr/bin/time -v true > /dev/null 2>&1; then
    time_bin=/usr/bin/time
    rss_method="GNU time -v (maximum resident set size)"
else
    rss_method="/proc/PID/status VmHWM, polled every 20 ms (may miss a last-moment peak)"
fi

work=$(mktemp -d target/bench-analyses-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run_measured NAME CMD...: runs CMD with stdout in $work/NAME.out; sets wall (s), rss_kb and
# cpu (user + system seconds; "n/a" without GNU time).
run_measured() {
    local name=$1
    shift
    local t0 t1 status=0
    t0=$(date +%s.%N)
    if [ -n "$time_bin" ]; then
        "$time_bin" -v -o "$work/$name.time" "$@" > "$work/$name.out" || status=$?
        t1=$(date +%s.%N)
        rss_kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$work/$name.time")
        cpu=$(awk -F: '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$work/$name.time")
    else
        cpu=n/a
        "$@" > "$work/$name.out" &
        local pid=$! hwm
        rss_kb=0
        while hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2> /dev/null) && [ -n "$hwm" ]; do
            if [ "$hwm" -gt "$rss_kb" ]; then rss_kb=$hwm; fi
            sleep 0.02
        done
        wait "$pid" || status=$?
        t1=$(date +%s.%N)
    fi
    [ "$status" = 0 ] || die "$* exited with status $status (output in $work/$name.out)"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# --- measure -----------------------------------------------------------------------------------
log "warming the page cache with $store"
find "$store" -type f -exec cat {} + > /dev/null

commands=()
for cmd in ${BENCH_COMMANDS:-flaky slow trim report}; do
    case $cmd in
        flaky | slow | trim) commands+=("$cmd") ;;
        report)
            if "$testsift" report --help > /dev/null 2>&1; then
                commands+=(report)
            else
                log "this testsift has no 'report' subcommand; skipping it"
            fi
            ;;
        *) die "BENCH_COMMANDS: unknown command $cmd" ;;
    esac
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=""
fail=0
for cmd in "${commands[@]}"; do
    best="" best_cpu="" max_rss_kb=0
    for i in $(seq 1 "$repeat"); do
        case $cmd in
            report)
                rm -rf "$work/report"
                run_measured "$cmd-$i" "$testsift" report --store "$store" --out "$work/report"
                ;;
            *) run_measured "$cmd-$i" "$testsift" "$cmd" --store "$store" --format json ;;
        esac
        log "$cmd run $i: ${wall} s wall, $cpu s CPU, peak RSS $((rss_kb / 1024)) MB"
        if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall best_cpu=$cpu
        fi
        if [ "$rss_kb" -gt "$max_rss_kb" ]; then max_rss_kb=$rss_kb; fi
    done
    rss_mb=$((max_rss_kb / 1024))
    verdict=ok
    # Targets: each analysis under 10 s and 3 GB; the whole report under 15 s.
    limit=10 mem_limit=$((3 * 1024 * 1024))
    [ "$cmd" = report ] && limit=15 mem_limit=0
    if awk -v w="$best" -v r="$max_rss_kb" -v l="$limit" -v m="$mem_limit" 'BEGIN { exit !(w >= l || (m > 0 && r >= m)) }'; then
        verdict="MISSED"
        fail=1
    fi
    label="\`$cmd\`"
    [ "$cmd" = report ] && label="\`report --out DIR\`"
    rows+="| $label | $best | $best_cpu | $rss_mb | $verdict |"$'\n'
done

cpu_model=$(awk -F': *' '/^(model name|Model|cpu model)/ { print $2; exit }' /proc/cpuinfo 2> /dev/null || true)
mem=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2> /dev/null || true)

cat << EOF
## testsift analyses on $executions test executions

| command | wall s (best of $repeat) | CPU s, user + system (that run) | peak RSS MB (max of $repeat) | on target (analyses < 10 s and < 3 GB; report < 15 s) |
|---|---:|---:|---:|---|
${rows%$'\n'}

- history: \`$history\` ($runs runs x $tests tests x 4 shards), store \`$store\`:
  $store_runs runs, $executions executions, $(du -sb "$store" | awk '{ printf "%.1f MB", $1 / 1e6 }')
- each command reads the store with the default window (the whole history) and writes its
  output to a file (\`--format json\` for flaky, slow and trim)
- threads: $threads (RAYON_NUM_THREADS, POLARS_MAX_THREADS); load average before the first
  command: $load_before (other processes share the cores, so compare CPU time too)
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(uname -m), ${cpu_model:-unknown CPU}, nproc $(nproc), ${mem:-unknown memory}
- MB = 2^20 bytes of RSS; peak RSS from $rss_method
EOF
exit "$fail"
