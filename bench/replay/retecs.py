#!/usr/bin/env python3
"""Turns a test-prioritisation data set in the RETECS CSV layout (one row per test execution,
with columns Cycle, Name, Duration and Verdict, 1 = failed) into CI runs as JUnit XML folders
with run.json, one run per cycle, so that `testsift backtest priority` can replay it.

The public IOF/ROL and Paint Control data sets (Spieker et al., "Reinforcement Learning for
Automatic Test Case Prioritization and Selection in Continuous Integration", ISSTA 2017) are
published in this layout. A test that runs several times in one cycle is one execution there,
failed if any of its rows failed (testsift folds repeated executions of a test in one run the
same way); Duration is taken as milliseconds.

Usage: retecs.py DATA.csv OUT
"""

import csv
import json
import os
import sys
from xml.sax.saxutils import quoteattr


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    cycles = {}
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            cycle = int(row["Cycle"])
            name = row["Name"]
            failed = row["Verdict"].strip() == "1"
            seconds = float(row["Duration"] or 0) / 1000.0
            tests = cycles.setdefault(cycle, {})
            was_failed, was_seconds = tests.get(name, (False, 0.0))
            tests[name] = (was_failed or failed, max(was_seconds, seconds))
    for i, cycle in enumerate(sorted(cycles)):
        run = os.path.join(out, f"cycle-{cycle:05d}")
        os.makedirs(run, exist_ok=True)
        day, hour = divmod(i, 24)
        meta = {
            "run_id": str(cycle),
            "commit": f"{cycle:040x}",
            "branch": "main",
            "timestamp": f"2020-{1 + day // 28:02d}-{1 + day % 28:02d}T{hour:02d}:00:00Z",
        }
        with open(os.path.join(run, "run.json"), "w") as f:
            json.dump(meta, f)
        cases = []
        for name, (failed, seconds) in cycles[cycle].items():
            attrs = f'classname="retecs" name={quoteattr(name)} time="{seconds:.3f}"'
            if failed:
                cases.append(f'<testcase {attrs}><failure message="failed"/></testcase>')
            else:
                cases.append(f"<testcase {attrs}/>")
        with open(os.path.join(run, "junit.xml"), "w") as f:
            f.write(f'<testsuite name="retecs" tests="{len(cases)}">')
            f.write("".join(cases))
            f.write("</testsuite>\n")


if __name__ == "__main__":
    main()
