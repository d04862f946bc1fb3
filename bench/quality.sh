#!/usr/bin/env bash
# bench/quality.sh: how right `testsift flaky` is, against the generator's ground truth.
#
# usage (from the repository root):
#   bench/quality.sh [--runs N] [--tests N] [--kinds "K..."] [--verbose] [SEED...]
#
# For each history kind and SEED (default: 1 to 8), generates
# target/bench-quality/KIND-RUNSxTESTS-seed-SEED with `synth` (120 runs x 600 tests x 4 shards by
# default; reused when present), ingests it into a store beside it, runs
# `testsift flaky --format json` over the whole history, and scores the verdicts against the
# history's truth.json with the `quality` tool. Kinds (default: all five dialects):
#   surefire nextest gradle pytest jest   histories shaped like real CI (`synth --dialect`): pull-
#                                         request branches testing main's commits, re-runs,
#                                         breakages by commit, shard crashes, outages of a
#                                         service ended by a re-run, feature branches whose own
#                                         bug lasts one to three pushes, retries switched on
#                                         part-way, renamed tests, each dialect's retry format
#   plain                                 the plain Surefire history (one branch, no crashes)
# Prints a Markdown table on stdout: a row per history, per kind and for all. Exits 1 when a
# target is missed (flaky precision >= 0.97, flaky recall >= 0.95 for flake rates >= 0.05, no
# broken test called flaky, broken recall >= 0.95, first bad commit exact >= 95%), 2 on an error.
# --verbose lists every wrong call on stderr.
#
# environment:
#   TESTSIFT_BIN      testsift binary to measure (default: a release build made here)
#   CARGO_TARGET_DIR  where cargo builds (default: target)
set -euo pipefail

log() { printf 'quality.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; }

runs=120
tests=600
kinds=(surefire nextest gradle pytest jest)
verbose=()
seeds=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?--runs needs a value}; shift ;;
        --tests) tests=${2:?--tests needs a value}; shift ;;
        --kinds) read -r -a kinds <<< "${2:?--kinds needs a value}"; shift ;;
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

tools=${CARGO_TARGET_DIR:-target}/release
if [ -n "${TESTSIFT_BIN:-}" ]; then
    log "building the bench tools (TESTSIFT_BIN=$TESTSIFT_BIN)"
    cargo build --release -p testsift-bench >&2
    testsift=$TESTSIFT_BIN
else
    log "building the workspace (release)"
    cargo build --release --workspace >&2
    testsift=$tools/testsift
fi
[ -x "$testsift" ] || die "$testsift is not an executable; build testsift or set TESTSIFT_BIN"

base=target/bench-quality
mkdir -p "$base"
pairs=()
for kind in "${kinds[@]}"; do
    case "$kind" in
        plain) dialect=() ;;
        surefire | nextest | gradle | pytest | jest) dialect=(--dialect "$kind") ;;
        *) die "unknown history kind $kind (try --help)" ;;
    esac
    for seed in "${seeds[@]}"; do
        history=$base/$kind-${runs}x${tests}-seed-$seed
        if [ ! -d "$history" ]; then
            log "generating $history"
            rm -rf "$history.partial" "$history.store"
            "$tools/synth" --runs "$runs" --tests "$tests" --shards 4 --seed "$seed" \
                "${dialect[@]}" "$history.partial" 2> /dev/null
            mv "$history.partial" "$history"
        fi
        if [ ! -f "$history.store/manifest.json" ]; then
            rm -rf "$history.store"
            "$testsift" ingest "$history" --store "$history.store" --quiet
        fi
        "$testsift" flaky --store "$history.store" --format json > "$history.flaky.json"
        pairs+=("$history/truth.json" "$history.flaky.json")
    done
done

status=0
"$tools/quality" "${verbose[@]}" "${pairs[@]}" || status=$?
cat << EOF

- each history: $runs runs x $tests tests x 4 shards from \`synth --seed SEED [--dialect KIND]\`,
  kinds ${kinds[*]}, seeds ${seeds[*]};
  verdicts of \`testsift flaky\` with the default thresholds over the whole history
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
exit "$status"
