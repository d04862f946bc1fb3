#!/usr/bin/env bash
# The replay benchmark: for each history kind of bench/replay/generate.py and each seed,
# generate a history, ingest it, run `testsift backtest priority` and `backtest skip`, and print
# the mean APFD and APFDc of each order per kind, averaged over the seeds, then the skip list's
# replayed miss rate and time saved per kind.
#
# Kinds: the six of generate.py, and `ci`: histories shaped like real CI by the bench crate's
# `synth --dialect jest` (main and pull-request branches, re-runs, breakages by commit, flaky
# retries; 120 runs x 600 tests x 4 shards per seed).
#
# Usage: bench/replay.sh            (BENCH_SEEDS="1 2 ... 16", BENCH_RUNS=200, BENCH_TESTS=500)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${BENCH_SEEDS:-$(seq -s " " 1 16)}
runs=${BENCH_RUNS:-200}
tests=${BENCH_TESTS:-500}
train=${BENCH_TRAIN:-20}
# TESTSIFT_BIN: a binary already built (the scores do not depend on the build; the times do).
if [ -z "${TESTSIFT_BIN:-}" ]; then
  cargo build --release -q
fi
bin=${TESTSIFT_BIN:-target/release/testsift}
cargo build --release -q -p testsift-bench --bin synth
synth=target/release/synth
work=${BENCH_WORK:-target/replay}
rm -rf "$work"
mkdir -p "$work"
for kind in persistent recurring flaky new cofail mixed ci; do
  for seed in $seeds; do
    hist="$work/$kind-$seed"
    if [ "$kind" = ci ]; then
      "$synth" --runs 120 --tests 600 --shards 4 --seed "$seed" --dialect jest "$hist/runs" 2> /dev/null
    else
      python3 bench/replay/generate.py "$kind" "$seed" "$hist/runs" --runs "$runs" --tests "$tests"
    fi
    "$bin" ingest "$hist/runs" --store "$hist/store" --quiet
    /usr/bin/time -f "%e %M" -o "$hist/time" \
      "$bin" backtest priority --store "$hist/store" --train-runs "$train" --format json > "$hist/backtest.json"
    "$bin" backtest skip --store "$hist/store" --train-runs "$train" --format json > "$hist/skip.json"
  done
done
python3 - "$work" $seeds <<'PY'
import json, sys, os
work, seeds = sys.argv[1], sys.argv[2:]
kinds = ["persistent", "recurring", "flaky", "new", "cofail", "mixed", "ci"]
orders = ["optimal", "testsift", "last-failed-first", "most-failures", "runner-order", "random"]
diffs = {}
print("mean APFD / mean APFDc over seeds " + " ".join(seeds) + "; backtest wall s and peak MB (max)")
print("| kind | " + " | ".join(orders) + " | wall s | MB |")
print("|---|" + "---:|" * (len(orders) + 2))
for kind in kinds:
    apfd = {o: [] for o in orders}; apfdc = {o: [] for o in orders}; wall = mem = 0.0
    for s in seeds:
        d = json.load(open(os.path.join(work, f"{kind}-{s}", "backtest.json")))
        for o in d["orders"]:
            apfd[o["order"]].append(o["mean_apfd"]); apfdc[o["order"]].append(o["mean_apfdc"])
        w, m = open(os.path.join(work, f"{kind}-{s}", "time")).read().split()
        wall = max(wall, float(w)); mem = max(mem, int(m) / 1024)
    cell = lambda o: f"{sum(apfd[o])/len(apfd[o]):.3f} / {sum(apfdc[o])/len(apfdc[o]):.3f}"
    print(f"| {kind} | " + " | ".join(cell(o) for o in orders) + f" | {wall:.2f} | {mem:.0f} |")
    diffs[kind] = {h: ([a - b for a, b in zip(apfd["testsift"], apfd[h])],
                       [a - b for a, b in zip(apfdc["testsift"], apfdc[h])])
                   for h in ("last-failed-first", "most-failures")}
print()
# The same seeds score every order, so the differences are paired: their mean and standard
# error say whether a lead or a lag is more than the seeds' noise.
def paired(xs):
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return f"{m:+.4f}"
    se = (sum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs)) ** 0.5
    return f"{m:+.4f} ± {se:.4f}"
print("testsift minus each heuristic, paired over the seeds: mean ± standard error, APFD / APFDc")
print("| kind | APFD vs last-failed-first | APFD vs most-failures | APFDc vs last-failed-first | APFDc vs most-failures |")
print("|---|---:|---:|---:|---:|")
for kind in kinds:
    d = diffs[kind]
    cells = [paired(d[h][0]) for h in d] + [paired(d[h][1]) for h in d]
    print(f"| {kind} | " + " | ".join(cells) + " |")
print()
print("skip list replayed (trim's default cut), and the simple rules given the same time to save per run: missed failure runs / failure runs (miss rate), time saved, over seeds")
print("| kind | testsift | never-failed | fewest-failures | time saved |")
print("|---|---:|---:|---:|---:|")
for kind in kinds:
    ds = [json.load(open(os.path.join(work, f"{kind}-{s}", "skip.json"))) for s in seeds]
    failures = sum(d["failure_runs"] for d in ds)
    def cell(missed):
        rate = missed / failures if failures else 0.0
        return f"{missed} / {failures} ({rate:.3f})"
    own = sum(d["missed_runs"] for d in ds)
    rules = [sum(d["heuristics"][k]["missed_runs"] for d in ds) for k in (0, 1)]
    saved = sum(d["saved_share"] for d in ds) / len(ds)
    print(f"| {kind} | {cell(own)} | {cell(rules[0])} | {cell(rules[1])} | {saved:.1%} |")
PY
