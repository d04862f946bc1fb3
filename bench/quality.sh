#!/usr/bin/env bash
# bench/quality.sh: how right `testsift flaky` is, against the generator's ground truth.
#
# usage (from the repository root):
#   bench/quality.sh [--runs N] [--tests N] [--verbose] [SEED...]
#
# For each SEED (default: 1 to 8), generates target/bench-quality/RUNSxTESTS-seed-SEED with
# `synth` (200 runs x 5000 tests x 4 shards by default; reused when present), ingests it into a
# store beside it, runs `testsift flaky --format json` over the whole history, and scores the
# verdicts against the history's truth.json with the `quality` tool: precision and recall of
# `flaky` and `broken`, with the counts. Prints a Markdown table on stdout. Exits 1 when a
# target is missed (flaky precision >= 0.95, flaky recall >= 0.90 for flake rates >= 0.05, no
# broken test called flaky, in every history and over all of them), 2 on an error.
# --verbose lists every wrong call on stderr.
#
# environment:
#   TESTSIFT_BIN   testsift binary to measure (default: target/release/testsift, built here)
set -euo pipefail

log() { printf 'quality.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; }

runs=200
tests=5000
verbose=()
seeds=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?--runs needs a value}; shift ;;
        --tests) tests=${2:?--tests needs a value}; shift ;;
        --verbose) verbose=(--verbose) ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *) seeds+=("$1") ;;
    esac
    shift
done
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5 6 7 8)

if [ ! -f bench/quality.sh ] || [ ! -f Cargo.toml ]; then
    die "run this from the repository root: bench/quality.sh"
fi

if [ -n "${TESTSIFT_BIN:-}" ]; then
    log "building the bench tools (TESTSIFT_BIN=$TESTSIFT_BIN)"
    cargo build --release -p testsift-bench >&2
    testsift=$TESTSIFT_BIN
else
    log "building the workspace (release)"
    cargo build --release --workspace >&2
    testsift=target/release/testsift
fi
[ -x "$testsift" ] || die "$testsift is not an executable; build testsift or set TESTSIFT_BIN"

base=target/bench-quality
mkdir -p "$base"
pairs=()
for seed in "${seeds[@]}"; do
    history=$base/${runs}x${tests}-seed-$seed
    if [ ! -d "$history" ]; then
        log "generating $history"
        rm -rf "$history.partial" "$history.store"
        target/release/synth --runs "$runs" --tests "$tests" --shards 4 --seed "$seed" \
            "$history.partial"
        mv "$history.partial" "$history"
    fi
    if [ ! -f "$history.store/manifest.json" ]; then
        log "ingesting $history"
        rm -rf "$history.store"
        "$testsift" ingest "$history" --store "$history.store" --quiet
    fi
    log "testsift flaky on $history.store"
    "$testsift" flaky --store "$history.store" --format json > "$history.flaky.json"
    pairs+=("$history/truth.json" "$history.flaky.json")
done

status=0
target/release/quality "${verbose[@]}" "${pairs[@]}" || status=$?
cat << EOF

- each history: $runs runs x $tests tests x 4 shards from \`synth --seed SEED\`, seeds ${seeds[*]};
  verdicts of \`testsift flaky\` with the default thresholds over the whole history
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
exit "$status"
