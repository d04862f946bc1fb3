#!/usr/bin/env python3
"""How much tests that fail together could add to a priority order, on a data set in the RETECS
CSV layout (see retecs.py): replays it cycle by cycle as `testsift backtest priority` does
(the first 20 cycles for training; cycles where more than 80% of at least 5 tests failed left
out, neither scored nor learned from) and prints the mean APFD of

  decayed       each test's decayed failure rate (weights 0.9^age, smoothed), a static order;
  partners      the same, raised by how often the test failed when a test that failed in the
                previous cycle failed (a static order that uses co-failure across cycles);
  during-run    the decayed order, re-ranked while the cycle runs: after each test, every test
                not yet run has its log-odds moved by how its failures went with that test's
                outcome in the earlier cycles where both ran (needs a runner that reorders
                during a run; testsift's outputs are static orders);
  optimal       the failing tests first.

Usage: cofail.py DATA.csv
"""

import collections
import csv
import math
import sys


def apfd(order, failed):
    n, m = len(order), len(failed)
    return 1 - sum(i + 1 for i, t in enumerate(order) if t in failed) / (n * m) + 1 / (2 * n)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cycles = {}
    with open(sys.argv[1], newline="") as f:
        for row in csv.DictReader(f):
            tests = cycles.setdefault(int(row["Cycle"]), {})
            name = row["Name"]
            tests[name] = tests.get(name, False) or row["Verdict"].strip() == "1"
    rate = {}
    # Per ordered pair of tests that ran in the same cycle: counts of (a failed, b failed).
    pair = collections.defaultdict(collections.Counter)
    fails = collections.Counter()
    previous = set()
    scores = collections.defaultdict(list)
    for i, cycle in enumerate(sorted(cycles)):
        tests = cycles[cycle]
        names = list(tests)
        failed = {n for n in names if tests[n]}
        if len(names) >= 5 and len(failed) > 0.8 * len(names):
            continue

        def decayed(n):
            num, den = rate.get(n, (0.0, 0.0))
            return (num + 0.2) / (den + 1.0)

        if i >= 20 and failed:
            base = {n: decayed(n) for n in names}
            scores["decayed"].append(apfd(sorted(names, key=lambda n: -base[n]), failed))

            def partners(n):
                best = 0.0
                for a in previous:
                    if a != n and fails[a]:
                        best = max(best, pair[a][(n, 1, 1)] / fails[a])
                return best

            raised = {n: base[n] + 0.3 * partners(n) for n in names}
            scores["partners"].append(apfd(sorted(names, key=lambda n: -raised[n]), failed))
            logit = {n: math.log(base[n] / (1 - base[n])) for n in names}
            left, order = set(names), []
            while left:
                t = max(left, key=lambda n: logit[n])
                left.remove(t)
                order.append(t)
                seen = int(t in failed)
                for o in left:
                    c = pair[t]
                    ff, fp, pf, pp = c[(o, 1, 1)], c[(o, 1, 0)], c[(o, 0, 1)], c[(o, 0, 0)]
                    total = ff + fp + pf + pp
                    if total < 3:
                        continue
                    p_o = (ff + pf + 0.5) / (total + 1)
                    a, b = (ff, fp) if seen else (pf, pp)
                    p_c = (a + 2 * p_o) / (a + b + 2)
                    logit[o] += math.log(p_c / (1 - p_c)) - math.log(p_o / (1 - p_o))
            scores["during-run"].append(apfd(order, failed))
            scores["optimal"].append(apfd(sorted(names, key=lambda n: n not in failed), failed))
        for n in names:
            num, den = rate.get(n, (0.0, 0.0))
            rate[n] = (num * 0.9 + tests[n], den * 0.9 + 1.0)
            fails[n] += tests[n]
        for a in names:
            counts = pair[a]
            for b in names:
                if a != b:
                    counts[(b, int(tests[a]), int(tests[b]))] += 1
        previous = failed
    for order, values in scores.items():
        print(f"{order:12} {sum(values) / len(values):.3f} over {len(values)} cycles")


if __name__ == "__main__":
    main()
