#!/usr/bin/env bash
# Fuzzes the JUnit parser (fuzz/fuzz_targets/parse.rs), or with FUZZ_TARGET=ingest a whole
# ingest of a small folder (fuzz/ingest/fuzz_targets/ingest.rs), with cargo-fuzz.
#
#   scripts/fuzz.sh seed            copy every fixture report into fuzz/corpus/parse/ (ingest:
#                                   write small folders made of fixtures, plain, gzipped, in
#                                   zip and tar.gz archives, with run.json, into
#                                   fuzz/ingest/corpus/ingest/)
#   scripts/fuzz.sh run [SECONDS] [CORPUS_DIR...]
#                                   fuzz for SECONDS (default 3600); extra CORPUS_DIRs (such as
#                                   the shared JUnit corpus) are read as seeds, never written
#   scripts/fuzz.sh minimize        merge fuzz/corpus/parse/ down to the inputs that add coverage
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a nightly toolchain; with only
# stable installed, RUSTC_BOOTSTRAP=1 lets cargo-fuzz use stable's nightly features. Crash
# inputs land in fuzz/artifacts/parse/ (fuzz/ingest/artifacts/ingest/); each becomes a test.
set -euo pipefail
command="${1:-run}"
seconds="${2:-3600}"
# Seed folders are named from where the script was called; make them absolute before moving.
seeds=()
for dir in "${@:3}"; do
    seeds+=("$(realpath "$dir")")
done
target="${FUZZ_TARGET:-parse}"
cd "$(dirname "$0")/../fuzz"
case "$target" in
parse) fuzz_dir=(); corpus=corpus/parse; dict=parse.dict ;;
ingest) cd ingest; fuzz_dir=(--fuzz-dir .); corpus=corpus/ingest; dict=../parse.dict ;;
*) echo "FUZZ_TARGET is parse or ingest" >&2; exit 2 ;;
esac
flags=(-rss_limit_mb=2048 -max_len=65536 -timeout=10 "-dict=$dict")
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

case "$command" in
seed)
    mkdir -p "$corpus"
    if [ "$target" = parse ]; then
        find ../fixtures -name '*.xml' -type f | sort | while read -r f; do
            cp "$f" "$corpus/$(sha1sum "$f" | cut -c1-40)"
        done
    else
        python3 seed.py ../../fixtures "$corpus"
    fi
    ;;
run)
    mkdir -p "$corpus"
    cargo "${toolchain[@]}" fuzz run "${fuzz_dir[@]}" "$target" "$corpus" "${seeds[@]}" -- \
        "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1
    ;;
minimize)
    cargo "${toolchain[@]}" fuzz cmin "${fuzz_dir[@]}" "$target" "$corpus" -- "${flags[@]}"
    ;;
*)
    echo "usage: $0 seed | run [SECONDS] [CORPUS_DIR...] | minimize" >&2
    exit 2
    ;;
esac
