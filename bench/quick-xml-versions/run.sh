#!/usr/bin/env bash
# bench/quick-xml-versions/run.sh: the floor's loop (read each <testcase>'s classname, name and
# time, sum the times) built against several quick-xml versions, run on the same files in
# memory (parse only, parallel across files, best of 5), to see whether another version is
# faster. Builds one throwaway crate per version under target/quick-xml-versions/.
#
# usage (from the repository root): bench/quick-xml-versions/run.sh [HISTORY_DIR]
# default HISTORY_DIR: target/bench-history-quick (bench/ingest.sh --quick makes it)
set -euo pipefail
history=${1:-target/bench-history-quick}
versions=${QUICK_XML_VERSIONS:-"0.31.0 0.36.2 0.37.5 0.38.4 0.42.0"}
rounds=${ROUNDS:-3}
[ -d "$history" ] || { echo "run.sh: $history is not a directory (bench/ingest.sh --quick makes one)" >&2; exit 2; }
work=target/quick-xml-versions
for v in $versions; do
    dir=$work/qx-$v
    mkdir -p "$dir/src"
    cp bench/quick-xml-versions/scan.rs "$dir/src/main.rs"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "qx"
version = "0.1.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
quick-xml = "=$v"
rayon = "1"

[profile.release]
codegen-units = 4
TOML
    echo "run.sh: building quick-xml $v" >&2
    cargo build --release --quiet --manifest-path "$dir/Cargo.toml" --target-dir "$work/target-$v"
done
# Interleave the versions round by round so that a change in machine load hits them all alike.
for round in $(seq "$rounds"); do
    for v in $versions; do
        printf '%s\tround %s\t%s\n' "$v" "$round" "$("$work/target-$v/release/qx" "$history")"
    done
done
