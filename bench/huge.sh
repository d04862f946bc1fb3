#!/usr/bin/env bash
# bench/huge.sh: peak memory of ingesting one hostile or huge report (docs/reliability.md,
# "Bounded memory").
#
# usage (from the repository root):
#   bench/huge.sh
#
# Writes four inputs under target/bench-huge/ (about 1.3 GB of disk while it runs; removed
# afterwards unless BENCH_KEEP=1), ingests each as one run into a fresh store with the release
# build, and prints wall time and peak RSS (GNU time -v) as a Markdown table:
#   value-500mb    one <testcase> whose name attribute is 500 MB long, plain XML
#   value-700mb-gz one 700 MB attribute value, gzipped (a .xml.gz of under 1 MB)
#   bomb-10gib     a gzip bomb: 10 GiB of test cases in one .xml.gz (refused at the 1 GiB limit)
#   million        1,000,000 distinct test cases in one 80 MB file
# The target for each is a peak of at most 300 MB.
#
# environment:
#   TESTSIFT_BIN   testsift binary to measure (default: target/release/testsift, built here)
set -euo pipefail

log() { printf 'huge.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[ -f bench/huge.sh ] || die "run this from the repository root: bench/huge.sh"
[ -x /usr/bin/time ] || die "needs GNU time (/usr/bin/time)"
command -v python3 > /dev/null || die "needs python3 (to write the inputs)"

if [ -n "${TESTSIFT_BIN:-}" ]; then
    testsift=$TESTSIFT_BIN
else
    cargo build --release -p testsift >&2
    testsift=target/release/testsift
fi
dir=target/bench-huge
rm -rf "$dir"
mkdir -p "$dir"/value-500mb "$dir"/value-700mb-gz "$dir"/bomb-10gib "$dir"/million

log "writing the inputs"
python3 - "$dir" <<'EOF'
import gzip, sys, zlib
d = sys.argv[1]
mib = 1 << 20
def value(f, size):
    f.write(b'<testsuite name="s"><testcase classname="C" name="')
    block = b"a" * mib
    for _ in range(size // mib):
        f.write(block)
    f.write(b'" time="1"/><testcase classname="C" name="after" time="1"/></testsuite>\n')
with open(f"{d}/value-500mb/junit.xml", "wb") as f:
    value(f, 500 * mib)
with gzip.open(f"{d}/value-700mb-gz/junit.xml.gz", "wb", compresslevel=9) as f:
    value(f, 700 * mib)
# One deflate stream (not concatenated members), so that a reader must inflate it to the end;
# 200 distinct cases repeated fit in deflate's 32 KiB window, so 10 GiB compresses to tens of MB.
cases = b"".join(
    b'<testcase classname="pkg.Bomb" name="t%d" time="0.001"/>\n' % i for i in range(200)
)
block = cases * (mib // len(cases) + 1)
block = block[: block.rindex(b"\n") + 1]
z = zlib.compressobj(9, zlib.DEFLATED, 31)
with open(f"{d}/bomb-10gib/junit.xml.gz", "wb") as f:
    f.write(z.compress(b'<testsuite name="bomb">\n'))
    written = 0
    while written < 10 * 1024 * mib:
        f.write(z.compress(block))
        written += len(block)
    f.write(z.compress(b"</testsuite>\n"))
    f.write(z.flush())
with open(f"{d}/million/junit.xml", "w") as f:
    f.write('<?xml version="1.0"?>\n<testsuites>\n<testsuite name="big" tests="1000000">\n')
    for i in range(1000000):
        f.write(f'<testcase classname="pkg.mod{i // 1000}.Class{i % 1000}" name="test_case_{i}" time="0.001"/>\n')
    f.write("</testsuite>\n</testsuites>\n")
EOF

printf '| input | size on disk | wall s | peak RSS MB | exit |\n|---|---:|---:|---:|---:|\n'
for input in value-500mb value-700mb-gz bomb-10gib million; do
    store=$dir/$input.store
    rm -rf "$store"
    set +e
    /usr/bin/time -v -o "$dir/$input.time" "$testsift" ingest "$dir/$input" --store "$store" \
        > /dev/null 2> "$dir/$input.err"
    code=$?
    set -e
    wall=$(sed -nE 's/.*Elapsed \(wall clock\) time.*: ([0-9:.]+)/\1/p' "$dir/$input.time" \
        | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p' "$dir/$input.time")
    size=$(du -sm "$dir/$input" | cut -f1)
    printf '| %s | %s MB | %.2f | %d | %d |\n' "$input" "$size" "$wall" $((rss / 1024)) "$code"
done
if [ "${BENCH_KEEP:-0}" != 1 ]; then
    rm -rf "$dir"
fi
