#!/usr/bin/env bash
# bench/ingest.sh: how fast `testsift ingest` reads a CI history, next to the quick-xml floor.
#
# usage (from the repository root):
#   bench/ingest.sh [--quick] [HISTORY_DIR]
#
# Without HISTORY_DIR, uses target/bench-history (1000 runs x 5000 tests x 4 shards), generating
# it with `synth` if it does not exist yet; --quick uses target/bench-history-quick (100 runs x
# 2000 tests) instead. Builds the workspace in release mode, warms the page cache, then runs the
# floor and `testsift ingest HISTORY --store <fresh dir> --quiet` 3 times each, taking turns, and
# prints a Markdown table (best wall time, throughput, CPU time, peak RSS, and the median ratio
# of the back-to-back pairs) on stdout. Progress goes to stderr.
#
# environment:
#   RAYON_NUM_THREADS  threads for both tools (default: nproc)
#   TESTSIFT_BIN       testsift binary to measure (default: target/release/testsift); when set,
#                      only the bench crate is built, e.g. to compare against an older build
#   BENCH_REPEAT       runs per tool (default: 3)
set -euo pipefail

log() { printf 'ingest.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0
history=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *)
            [ -z "$history" ] || die "only one HISTORY_DIR may be given"
            history=$1
            ;;
    esac
    shift
done

if [ ! -f bench/ingest.sh ] || [ ! -f Cargo.toml ]; then
    die "run this from the repository root: bench/ingest.sh"
fi

threads=${RAYON_NUM_THREADS:-$(nproc)}
export RAYON_NUM_THREADS=$threads
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
floor=target/release/floor
[ -x "$testsift" ] || die "$testsift is not an executable; build testsift or set TESTSIFT_BIN"

# --- history -----------------------------------------------------------------------------------
if [ -z "$history" ]; then
    if [ "$quick" = 1 ]; then
        history=target/bench-history-quick runs=100 tests=2000
    else
        history=target/bench-history runs=1000 tests=5000
    fi
    if [ ! -d "$history" ]; then
        log "generating $history ($runs runs x $tests tests x 4 shards)"
        rm -rf "$history.partial"
        "$synth" --runs "$runs" --tests "$tests" --shards 4 "$history.partial"
        mv "$history.partial" "$history"
    fi
fi
[ -d "$history" ] || die "$history is not a directory"

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

work=$(mktemp -d target/bench-ingest.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run_measured NAME CMD...: runs CMD with stdout in $work/NAME.out; sets wall (s) and rss_kb.
run_measured() {
    local name=$1
    shift
    local t0 t1 status=0
    t0=$(date +%s.%N)
    if [ -n "$time_bin" ]; then
        "$time_bin" -v -o "$work/$name.time" "$@" > "$work/$name.out" || status=$?
        t1=$(date +%s.%N)
        rss_kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$work/$name.time")
        cpu_s=$(awk -F: '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$work/$name.time")
    else
        cpu_s=""
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
    [ "$status" = 0 ] || die "$* exited with status $status"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# keep_best KIND I: after run I of KIND, updates KIND's best wall, best run, best CPU time and
# peak RSS (variables named <KIND>_best_wall and so on).
keep_best() {
    local kind=$1 i=$2 best
    log "$kind run $i: ${wall} s wall, ${cpu_s} s CPU, peak RSS $((rss_kb / 1024)) MB"
    best=$(eval echo "\${${kind}_best_wall:-}")
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        eval "${kind}_best_wall=$wall ${kind}_best_run=$kind-$i"
    fi
    best=$(eval echo "\${${kind}_best_cpu:-}")
    if [ -n "$cpu_s" ] && { [ -z "$best" ] || awk -v a="$cpu_s" -v b="$best" 'BEGIN { exit !(a < b) }'; }; then
        eval "${kind}_best_cpu=$cpu_s"
    fi
    best=$(eval echo "\${${kind}_max_rss_kb:-0}")
    if [ "$rss_kb" -gt "$best" ]; then eval "${kind}_max_rss_kb=$rss_kb"; fi
}

# --- measure -----------------------------------------------------------------------------------
# The files are read once more before every measured run, not only once up front: the kernel
# may drop page-cache pages that sat idle for a while (memory pressure, or a proactive reclaimer
# such as DAMON on virtual machines), and a run that finds part of the history back on disk
# measures the disk.
warm() { find "$history" -type f -exec cat {} + > /dev/null; }
log "warming the page cache with $history (and again before every run)"

# The two tools take turns (floor, ingest, floor, ingest, ...): on a shared machine whose speed
# drifts from minute to minute, each pair of runs sees about the same machine, and the median of
# the pairs' ratios is reported next to the ratio of the best runs.
log "floor: $floor --threads $threads $history"
log "testsift: $testsift ingest $history --store <fresh dir> --quiet"
log "alternating, $repeat runs each"
pair_ratios=""
for i in $(seq 1 "$repeat"); do
    warm
    run_measured "floor-$i" "$floor" --threads "$threads" "$history"
    keep_best floor "$i"
    pair_floor=$wall
    store=$(mktemp -d "$work/store-$i.XXXXXX")
    warm
    run_measured "ingest-$i" "$testsift" ingest "$history" --store "$store" --quiet
    keep_best ingest "$i"
    pair_ratios="$pair_ratios $(awk -v f="$pair_floor" -v g="$wall" 'BEGIN { printf "%.4f", f / g }')"
    store_bytes=$(du -sb "$store" | cut -f1)
    rm -rf "$store"
done
floor_wall=$floor_best_wall floor_rss_kb=$floor_max_rss_kb
ingest_wall=$ingest_best_wall ingest_rss_kb=$ingest_max_rss_kb
median_ratio=$(printf '%s\n' $pair_ratios | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
floor_json=$(cat "$work/$floor_best_run.out")
json_field() { printf '%s\n' "$floor_json" | sed -E "s/.*\"$1\":([0-9.]+).*/\\1/"; }
xml_bytes=$(json_field bytes)
xml_files=$(json_field files)
testcases=$(json_field testcases)
floor_inner_mbs=$(json_field mb_per_s)

# --- report ------------------------------------------------------------------------------------
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
floor_mbs=$(calc '%.1f' "$xml_bytes / 1e6 / $floor_wall")
ingest_mbs=$(calc '%.1f' "$xml_bytes / 1e6 / $ingest_wall")
floor_cps=$(calc '%.0f' "$testcases / $floor_wall")
ingest_cps=$(calc '%.0f' "$testcases / $ingest_wall")
ratio=$(calc '%.3f' "$floor_wall / $ingest_wall")
ratio_pct=$(calc '%.1f' "100 * $floor_wall / $ingest_wall")
median_pct=$(calc '%.1f' "100 * $median_ratio")
if [ -n "${floor_best_cpu:-}" ] && [ -n "${ingest_best_cpu:-}" ]; then
    cpu_row="| CPU s, user + system (best of $repeat) | $floor_best_cpu | $ingest_best_cpu |"
    cpu_line="- CPU time ratio (floor/ingest, best runs): $(calc '%.3f' "$floor_best_cpu / $ingest_best_cpu")"
else
    cpu_row="" cpu_line="- CPU time: not measured (no GNU time)"
fi
cpu=$(awk -F': *' '/^(model name|Model|cpu model)/ { print $2; exit }' /proc/cpuinfo 2> /dev/null || true)

cat << EOF
## testsift ingest vs the quick-xml floor

| measure | floor | testsift ingest |
|---|---:|---:|
| MB/s (XML bytes / wall) | $floor_mbs | $ingest_mbs |
| test cases/s | $floor_cps | $ingest_cps |
| peak RSS MB (max of $repeat) | $(calc '%.1f' "$floor_rss_kb / 1024") | $(calc '%.1f' "$ingest_rss_kb / 1024") |
| wall s (best of $repeat) | $floor_wall | $ingest_wall |
$cpu_row

- ingest/floor throughput, best runs: $ratio (ingest runs at $ratio_pct % of the floor's speed)
- ingest/floor throughput, median of the $repeat back-to-back pairs: $median_ratio ($median_pct %)
$cpu_line
- input: \`$history\`, $xml_files XML files, $(calc '%.1f' "$xml_bytes / 1e6") MB, $testcases test cases
- store: $(calc '%.1f' "$store_bytes / 1e6") MB (\`du -sb\`), store/XML = $(calc '%.3f' "$store_bytes / $xml_bytes")
- threads: $threads (RAYON_NUM_THREADS for both; floor --threads $threads)
- floor's in-process rate (read + parse only, no process start or directory walk): $floor_inner_mbs MB/s
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(uname -m), ${cpu:-unknown CPU}, nproc $(nproc)
- MB = 10^6 bytes; peak RSS from $rss_method
EOF
