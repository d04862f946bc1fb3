"""Runs docs/sql.md's queries on any store and checks them against `testsift flaky`, as
test_store.py does on its small stores: for large generated histories, outside `cargo test`.

usage (the venv of scripts/install-engines.sh):
  python tests/engines/check_store.py STORE TESTSIFT_BINARY [duckdb] [spark]

Prints how many tests were compared and each engine's time; exits non-zero on a difference.
"""

import json
import os
import sys
import time
from pathlib import Path

if len(sys.argv) < 4:
    sys.exit(__doc__)
os.environ["TESTSIFT"] = str(Path(sys.argv[2]).resolve())
os.environ["TESTSIFT_ROOT"] = str(Path(__file__).resolve().parents[2])
sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_store as t  # noqa: E402 (needs the environment above)

store = Path(sys.argv[1]).resolve()
stats = json.loads(t.run_testsift("stats", "--format", "json", "--store", str(store)))
flaky = json.loads(t.run_testsift("flaky", "--format", "json", "--store", str(store), *t.FLAKY_ARGS))
touched = t.touched_by_infrastructure(store, flaky)
expected = {
    (x["test_id"], x["variant"]): (x["runs"], x["failed"], x["retry_runs"], x["same_commit_commits"])
    for x in flaky["tests"]
    if (x["test_id"], x["variant"]) not in touched
}
print(f"{stats['executions']} executions, {len(flaky['tests'])} tests, {len(expected)} compared "
      f"({len(touched)} touched by infrastructure failures)", flush=True)
for engine in sys.argv[3:]:
    start = time.time()
    if engine == "duckdb":
        import duckdb

        sql = t.snippet("sql", "-- duckdb").replace(".testsift", str(store))
        con = duckdb.connect()
        *setup, query = [s for s in sql.split(";") if s.strip()]
        for s in setup:
            con.execute(s)
        rows = con.execute(query).fetchdf().to_dict("records")
    elif engine == "spark":
        code = t.snippet("python", "# spark").replace(
            '.master("local[2]")', '.master("local[2]").config("spark.ui.enabled", "false")'
        )
        rows = [r.asDict() for r in t.run_python(code, store).collect()]
    else:
        sys.exit(f"unknown engine {engine!r}: duckdb or spark")
    t.check_per_test(rows, stats, expected)
    print(f"{engine}: equal ({time.time() - start:.1f} s)", flush=True)
