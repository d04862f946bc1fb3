#!/usr/bin/env python3
"""Histories for the priority replay benchmark (bench/replay.sh): CI runs as JUnit XML folders
with run.json, in which the history predicts the next failures to a chosen degree.

Kinds (each a mix over the same base of passing tests, seeded, same bytes for the same seed):
  persistent  breakages: a commit breaks 1-4 tests, which fail in every run until a fix 1-8
              runs later (the last outcome predicts the next);
  recurring   tests with a fault that comes back: each has bursts of 1-3 failing runs at a
              per-test rate (how often a test failed predicts it);
  flaky       independent noise: tests failing at random with p in 0.01-0.2 (only the rate
              predicts, weakly);
  new         tests added during the history, failing in their first runs with probability
              0.3 that decays as they settle (newness predicts);
  cofail      groups of 3-6 tests that fail together (a shared fixture), at a per-group rate;
  mixed       all of the above at once.

Usage: generate.py KIND SEED OUT [--runs N] [--tests N]
"""

import json
import math
import os
import random
import sys
from xml.sax.saxutils import quoteattr

KINDS = ["persistent", "recurring", "flaky", "new", "cofail", "mixed"]


def plan(kind, seed, runs, tests, truth=None):
    """The history's tests, durations, birth runs and failing tests per run; with `truth` (a dict),
    also how each failing part was drawn (for bench/replay/bound.py), without changing a byte."""
    truth = {} if truth is None else truth
    rng = random.Random(f"{kind}:{seed}")
    names = [f"t{i:05d}" for i in range(tests)]
    duration = {n: math.exp(rng.gauss(-2.0, 1.5)) for n in names}
    # Tests that exist from run `born` on (0 for the base suite).
    born = {n: 0 for n in names}
    fail = [set() for _ in range(runs)]
    parts = KINDS[:-1] if kind == "mixed" else [kind]

    if "persistent" in parts:
        r = 0
        while r < runs:
            r += rng.randint(3, 12)
            if r >= runs:
                break
            broken = rng.sample(names, rng.randint(1, 4))
            fix = r + rng.randint(1, 8)
            for k in range(r, min(fix, runs)):
                fail[k].update(broken)
    if "recurring" in parts:
        for n in rng.sample(names, max(1, tests // 50)):
            rate = rng.uniform(0.02, 0.1)
            truth.setdefault("recurring", {})[n] = rate
            k = 0
            while k < runs:
                if rng.random() < rate:
                    for j in range(k, min(k + rng.randint(1, 3), runs)):
                        fail[j].add(n)
                    k += 3
                k += 1
    if "flaky" in parts:
        for n in rng.sample(names, max(1, tests // 20)):
            p = rng.uniform(0.01, 0.2)
            truth.setdefault("flaky", {})[n] = p
            for k in range(runs):
                if rng.random() < p:
                    fail[k].add(n)
    if "new" in parts:
        for i in range(max(1, tests // 10)):
            n = f"n{i:05d}"
            names.append(n)
            duration[n] = math.exp(rng.gauss(-2.0, 1.5))
            born[n] = rng.randint(1, runs - 1)
            for k in range(born[n], runs):
                age = k - born[n]
                if rng.random() < 0.3 * 0.6**age:
                    fail[k].add(n)
    if "cofail" in parts:
        for _ in range(max(1, tests // 100)):
            group = rng.sample(names[:tests], rng.randint(3, 6))
            rate = rng.uniform(0.03, 0.12)
            truth.setdefault("cofail", []).append((group, rate))
            for k in range(runs):
                if rng.random() < rate:
                    fail[k].update(group)
    return names, duration, born, fail, rng


def write(kind, seed, out, runs, tests):
    names, duration, born, fail, rng = plan(kind, seed, runs, tests)
    for k in range(runs):
        run = os.path.join(out, f"run-{k + 1:04d}")
        os.makedirs(run, exist_ok=True)
        day, hour = divmod(k, 24)
        meta = {
            "run_id": str(1000 + k),
            "commit": f"{rng.getrandbits(160):040x}",
            "branch": "main",
            "timestamp": f"2026-{9 + day // 30:02d}-{1 + day % 30:02d}T{hour:02d}:00:00Z",
        }
        with open(os.path.join(run, "run.json"), "w") as f:
            json.dump(meta, f)
        cases = []
        for n in names:
            if born[n] > k:
                continue
            t = duration[n] * rng.uniform(0.8, 1.25)
            attrs = f'classname="bench.Suite{int(n[1:]) % 20}" name={quoteattr(n)} time="{t:.4f}"'
            if n in fail[k]:
                cases.append(f'<testcase {attrs}><failure message="assertion failed"/></testcase>')
            else:
                cases.append(f"<testcase {attrs}/>")
        with open(os.path.join(run, "junit.xml"), "w") as f:
            f.write(f'<testsuite name="bench" tests="{len(cases)}">')
            f.write("".join(cases))
            f.write("</testsuite>\n")


def main():
    args = sys.argv[1:]
    opts = {"--runs": 200, "--tests": 500}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            opts[a] = int(args.pop(0))
        else:
            pos.append(a)
    if len(pos) != 3 or pos[0] not in KINDS:
        sys.exit(__doc__)
    kind, seed, out = pos
    write(kind, int(seed), out, opts["--runs"], opts["--tests"])


if __name__ == "__main__":
    main()
