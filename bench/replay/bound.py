#!/usr/bin/env python3
"""The best any order computed from history alone can do on the replay benchmark's kinds where
only how often a test fails predicts it (recurring, flaky, cofail): the order by each test's
true chance of failing in the next run, which bench/replay/generate.py knows and no history
does (the rate each test or group was drawn with, and, for bursts, where a burst stands).
Scored as `testsift backtest priority --train-runs 20` scores (APFD, every failed test a
fault, runs with a failure after the training runs), beside last-failed-first and
most-failures computed the same way (ties in the runner's order, as `backtest` breaks them for
the heuristics), and last-failed-first with ties broken the cheaper first (as testsift's model
breaks them), averaged over seeds.

Usage: bound.py [--seeds "1 2 ... 16"] [--runs 200] [--tests 500]   (seeds 1-16, as bench/replay.sh)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import plan  # noqa: E402

TRAIN = 20


def apfd(order, failed):
    n, m = len(order), len(failed)
    positions = sum(i + 1 for i, t in enumerate(order) if t in failed)
    return 1 - positions / (n * m) + 1 / (2 * n)


def chance(kind, truth, name, k, fail):
    """The true chance `name` fails in run k, given the runs before it."""
    if kind == "flaky":
        return truth.get("flaky", {}).get(name, 0.0)
    if kind == "cofail":
        miss = 1.0
        for group, rate in truth.get("cofail", []):
            if name in group:
                miss *= 1 - rate
        return 1 - miss
    rate = truth.get("recurring", {}).get(name)
    if rate is None:
        return 0.0
    # A burst starts at a failure after a pass, lasts 1-3 runs (uniform), and no new one can
    # start in the 3 runs after its start.
    start = None
    for j in range(k - 1, -1, -1):
        if name in fail[j] and (j == 0 or name not in fail[j - 1]):
            start = j
            break
    if start is None:
        return rate
    failing_since = all(name in fail[j] for j in range(start, k))
    d = k - start
    if failing_since:
        return {1: 2 / 3, 2: 1 / 2}.get(d, 0.0)
    return 0.0 if d <= 3 else rate


def main():
    args = sys.argv[1:]
    opts = {"--seeds": " ".join(str(s) for s in range(1, 17)), "--runs": "200", "--tests": "500"}
    while args:
        a = args.pop(0)
        if a not in opts or not args:
            sys.exit(__doc__)
        opts[a] = args.pop(0)
    runs, tests = int(opts["--runs"]), int(opts["--tests"])
    print("| kind | true chance (bound) | last-failed-first | most-failures | last-failed-first, cheaper first |")
    print("|---|---:|---:|---:|---:|")
    for kind in ["recurring", "flaky", "cofail"]:
        sums = {"bound": [], "lff": [], "mf": [], "lff_cheap": []}
        for seed in opts["--seeds"].split():
            truth = {}
            names, duration, born, fail, _ = plan(kind, int(seed), runs, tests, truth)
            fails = {n: 0 for n in names}
            last = {n: False for n in names}
            runner = {n: i for i, n in enumerate(names)}
            for k in range(runs):
                present = [n for n in names if born[n] <= k]
                failed = fail[k] & set(present)
                if k >= TRAIN and failed:
                    p = {n: chance(kind, truth, n, k, fail) for n in present}
                    orders = {
                        "bound": sorted(present, key=lambda n: (-p[n], runner[n])),
                        "lff": sorted(present, key=lambda n: (not last[n], -fails[n], runner[n])),
                        "mf": sorted(present, key=lambda n: (-fails[n], runner[n])),
                        "lff_cheap": sorted(
                            present, key=lambda n: (not last[n], -fails[n], duration[n])
                        ),
                    }
                    for o, order in orders.items():
                        sums[o].append(apfd(order, failed))
                for n in present:
                    last[n] = n in failed
                    fails[n] += n in failed
        mean = {o: sum(v) / len(v) for o, v in sums.items()}
        print(
            f"| {kind} | {mean['bound']:.3f} | {mean['lff']:.3f} | {mean['mf']:.3f} "
            f"| {mean['lff_cheap']:.3f} |"
        )


if __name__ == "__main__":
    main()
