#!/usr/bin/env python3
"""How far can a learned model get from a test history alone? Replays a data set in the RETECS
CSV layout (see retecs.py) cycle by cycle, as `testsift backtest priority --train-runs 20` does
(a test run several times in a cycle is one execution, failed if any row failed; cycles where
more than 80% of at least 5 tests failed are infrastructure runs, neither scored nor learned
from), and gives the mean APFD over the scored cycles of:

- the decayed failure rate (each earlier run weighted 0.9^age), the estimate that carries the
  weight in testsift's model on this data;
- a gradient-boosted classifier (scikit-learn's HistGradientBoostingClassifier) over 17 history
  features of each test, retrained every 5 cycles on every earlier cycle's tests;
- the optimal order (failing tests first).

Needs scikit-learn: run it through bench/replay/learned.sh, which installs the pinned version.

Usage: learned.py DATA.csv
"""

import csv
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

TRAIN = 20
INFRA_SHARE = 0.8
NEW = None  # the state key of the first-run counts


def cycles(path):
    by_cycle = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            tests = by_cycle.setdefault(int(row["Cycle"]), {})
            failed = row["Verdict"].strip() == "1"
            seconds = float(row["Duration"] or 0) / 1000.0
            was_failed, was_seconds = tests.get(row["Name"], (False, 0.0))
            tests[row["Name"]] = (was_failed or failed, max(was_seconds, seconds))
    return [[(n, f, s) for n, (f, s) in by_cycle[c].items()] for c in sorted(by_cycle)]


def apfd(failed_in_order):
    n, m = len(failed_in_order), sum(failed_in_order)
    positions = sum(i + 1 for i, f in enumerate(failed_in_order) if f)
    return 1 - positions / (n * m) + 1 / (2 * n)


def features(state, name, index, size, previous_share, previous_names):
    t = state.get(name)
    ran_before = 1.0 if name in previous_names else 0.0
    if t is None:
        # A new test's rates: the share of earlier tests that failed in their first run.
        seen, failed = state.get(NEW, (0, 0))
        new = (failed + 0.5) / (seen + 1)
        return [1, 0, 0, new, new, new, -1, -1, -1, 999, 999, 0, 0, 0, size, previous_share, ran_before]
    since_failure = index - t["last_failure"] if t["last_failure"] is not None else 999
    return [
        0, t["runs"], t["failures"],
        t["rate_0.1"] / t["weight_0.1"], t["rate_0.3"] / t["weight_0.3"],
        t["rate_0.02"] / t["weight_0.02"],
        t["last"][0], t["last"][1], t["last"][2],
        index - t["last_run"], since_failure, t["failing"], t["passing"], t["mean_seconds"],
        size, previous_share, ran_before,
    ]


def learn(state, run, index):
    for name, failed, seconds in run:
        f = 1.0 if failed else 0.0
        t = state.get(name)
        if t is None:
            seen, failures = state.get(NEW, (0, 0))
            state[NEW] = (seen + 1, failures + f)
            t = state[name] = {"runs": 0, "failures": 0, "last": [-1, -1, -1], "last_failure": None,
                               "failing": 0, "passing": 0, "mean_seconds": 0.0}
            for d in ("0.1", "0.3", "0.02"):
                t["rate_" + d] = t["weight_" + d] = 0.0
        t["runs"] += 1
        t["failures"] += f
        for d in ("0.1", "0.3", "0.02"):
            t["rate_" + d] = t["rate_" + d] * (1 - float(d)) + f
            t["weight_" + d] = t["weight_" + d] * (1 - float(d)) + 1
        t["last"] = [f] + t["last"][:2]
        t["last_run"] = index
        if failed:
            t["last_failure"] = index
            t["failing"], t["passing"] = t["failing"] + 1, 0
        else:
            t["failing"], t["passing"] = 0, t["passing"] + 1
        t["mean_seconds"] += (seconds - t["mean_seconds"]) / t["runs"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = cycles(sys.argv[1])
    state, kept = {}, []
    previous_share, previous_names = 0.0, set()
    for index, run in enumerate(runs):
        failed = sum(f for _, f, _ in run)
        if len(run) >= 5 and failed > INFRA_SHARE * len(run):
            continue
        rows = [features(state, n, index, len(run), previous_share, previous_names) for n, _, _ in run]
        kept.append((index, rows, [f for _, f, _ in run]))
        learn(state, run, index)
        previous_share, previous_names = failed / len(run), {n for n, _, _ in run}
    scores = {"optimal": [], "decayed rate": [], "gradient-boosted": []}
    model = None
    for k, (index, rows, labels) in enumerate(kept):
        if index < TRAIN or not any(labels):
            continue
        if model is None or k % 5 == 0:
            x = np.array([r for _, rs, _ in kept[:k] for r in rs], dtype=float)
            y = np.array([l for _, _, ls in kept[:k] for l in ls])
            model = HistGradientBoostingClassifier(
                max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                random_state=0).fit(x, y)
        x = np.array(rows, dtype=float)
        for order, score in (("optimal", np.array(labels, dtype=float)),
                             ("decayed rate", x[:, 3]),
                             ("gradient-boosted", model.predict_proba(x)[:, 1])):
            ranked = sorted(range(len(labels)), key=lambda j: (-score[j], j))
            scores[order].append(apfd([labels[j] for j in ranked]))
    print(f"{len(scores['optimal'])} cycles scored")
    print("| order | mean APFD |")
    print("|---|---:|")
    for order, values in scores.items():
        print(f"| {order} | {sum(values) / len(values):.3f} |")


if __name__ == "__main__":
    main()
