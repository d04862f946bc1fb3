"""The store read by other engines: docs/sql.md's DuckDB, pandas (pyarrow), polars and Spark
queries, run on stores that the real binary builds from fixtures/history and from a generated
history, give the numbers testsift gives (`testsift stats`, `testsift flaky`).

Run by tests/engines.rs with the venv of scripts/install-engines.sh; TESTSIFT names the binary
and TESTSIFT_ROOT the repository.
"""

import json
import os
import random
import re
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

ROOT = Path(os.environ["TESTSIFT_ROOT"])
BIN = os.environ["TESTSIFT"]
# No run is left out as an infrastructure failure, so testsift counts what the snippets count.
FLAKY_ARGS = ["--infra-threshold", "1", "--min-runs", "1"]


def run_testsift(*args):
    out = subprocess.run([BIN, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return out.stdout


def generate_history(root, runs=80, suites=3, tests=12, seed=15):
    """A history of `runs` Surefire runs, two runs (a nightly and a re-run) per commit, with
    flaky tests that fail or pass on a retry, a test broken from a commit on, and skipped tests."""
    rng = random.Random(seed)
    for i in range(runs):
        run = root / f"run-{i:03}"
        (run / "reports").mkdir(parents=True)
        (run / "run.json").write_text(json.dumps({
            "run_id": f"gen-{i}", "commit": f"{i // 2:040x}", "branch": "main",
            "timestamp": f"2026-01-{1 + i // 4:02}T{(i % 4) * 6:02}:00:00Z", "attempt": 1,
        }))
        for s in range(suites):
            suite = f"com.example.Suite{s}"
            cases = []
            for t in range(tests):
                flaky = 0.3 if t % 4 == 0 else 0.0
                broken = s == 1 and t == 1 and i >= runs // 2
                head = f'<testcase classname="{suite}" name="test{t}" time="0.{t + 1:02}"'
                r = rng.random()
                if t == tests - 1 and i % 3 == 0:
                    cases.append(f"{head}><skipped/></testcase>")
                elif broken or r < flaky / 2:
                    cases.append(f'{head}><failure message="boom {s}.{t}.{i % 5}" type="AssertionError">at {suite}.test{t}</failure></testcase>')
                elif r < flaky:
                    cases.append(f'{head}><flakyFailure message="flake {s}.{t}" type="AssertionError">at {suite}.test{t}</flakyFailure></testcase>')
                else:
                    cases.append(f"{head}/>")
            (run / "reports" / f"TEST-{suite}.xml").write_text(
                f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="{suite}" tests="{tests}">\n'
                + "\n".join(cases) + "\n</testsuite>\n"
            )


@pytest.fixture(scope="module", params=["fixtures/history", "generated"])
def store(request, tmp_path_factory):
    store = tmp_path_factory.mktemp("engines") / "store"
    if request.param == "generated":
        history = tmp_path_factory.mktemp("history")
        generate_history(history)
    else:
        history = ROOT / "fixtures/history"
    runs = sorted(history.iterdir())
    # Two ingests, so that the store has two segments and test keys recur across them.
    run_testsift("ingest", "--quiet", "--store", str(store), *[str(r) for r in runs[:12] if r.is_dir()], "--run-depth", "0")
    run_testsift("ingest", "--quiet", "--store", str(store), str(history))
    return store


@pytest.fixture(scope="module")
def stats(store):
    return json.loads(run_testsift("stats", "--format", "json", "--store", str(store)))


def touched_by_infrastructure(store, flaky):
    """(test_id, variant) of every test with an execution `flaky` set aside as infrastructure."""
    con = duckdb.connect()
    e, t, r, p = (parquet(store, x) for x in ("executions", "tests", "runs", "reports"))
    rows = con.execute(
        """SELECT DISTINCT t.test_id, r.variant, r.run, p.path, x.fingerprint
           FROM read_parquet(?) x
           JOIN (SELECT DISTINCT ON (test) * FROM read_parquet(?)) t USING (test)
           JOIN read_parquet(?) r USING (run_key) JOIN read_parquet(?) p USING (report_key)""",
        [e, t, r, p],
    ).fetchall()
    touched = set()
    for i in flaky["infrastructure_runs"]:
        for test_id, variant, run, path, fingerprint in rows:
            if (run, variant) != (i["run"], i["variant"]):
                continue
            if (
                i["level"] == "run"
                or (i["level"] == "report" and path == i["report"])
                or (i["level"] == "fingerprint" and fingerprint == i["fingerprint"])
            ):
                touched.add((test_id, variant))
    return touched


@pytest.fixture(scope="module")
def expected(store):
    """Per (test_id, variant) no infrastructure failure touched: runs, failed, retry_runs and
    same_commit_commits, from `testsift flaky`."""
    flaky = json.loads(run_testsift("flaky", "--format", "json", "--store", str(store), *FLAKY_ARGS))
    assert flaky["summary"]["infrastructure_runs"] == 0
    touched = touched_by_infrastructure(store, flaky)
    expected = {
        (t["test_id"], t["variant"]): (t["runs"], t["failed"], t["retry_runs"], t["same_commit_commits"])
        for t in flaky["tests"]
        if (t["test_id"], t["variant"]) not in touched
    }
    # Each measure is non-zero somewhere, so the comparison says something.
    assert all(any(v[i] for v in expected.values()) for i in range(4)), expected
    return expected


def snippet(language, first_line):
    """The docs/sql.md code block in `language` whose first line is `first_line`."""
    readme = (ROOT / "docs" / "sql.md").read_text()
    for block in re.findall(r"```" + language + r"\n(.*?)```", readme, re.S):
        if block.splitlines()[0].strip() == first_line:
            return block
    raise AssertionError(f"docs/sql.md has no {language} block starting with {first_line!r}")


def segments(store):
    manifest = json.loads((store / "manifest.json").read_text())
    return [store / "segments" / f"{s['id']:08}" for s in manifest["segments"]]


def check_per_test(rows, stats, expected):
    rows = {(r["test_id"], r["variant"]): r for r in rows}
    assert sum(int(r["executed"]) + int(r["skipped"]) for r in rows.values()) == stats["executions"]
    assert len({k[0] for k in rows}) == stats["tests"]
    measures = ("executed", "failures", "flaky_retries", "same_commit_disagreements")
    got = {k: tuple(int(r[m]) for m in measures) for k, r in rows.items() if k in expected}
    assert got == expected


def run_python(code, store):
    scope = {}
    exec(code.replace(".testsift", str(store)), scope)
    return scope["per_test"]


def test_duckdb_snippet(store, stats, expected):
    sql = snippet("sql", "-- duckdb").replace(".testsift", str(store))
    con = duckdb.connect()
    *setup, query = [s for s in sql.split(";") if s.strip()]
    for s in setup:
        con.execute(s)
    rows = con.execute(query).fetchdf().to_dict("records")
    check_per_test(rows, stats, expected)


def test_pandas_snippet(store, stats, expected):
    per_test = run_python(snippet("python", "# pandas (pyarrow)"), store)
    check_per_test(per_test.to_dict("records"), stats, expected)


def test_polars_snippet(store, stats, expected):
    per_test = run_python(snippet("python", "# polars"), store)
    check_per_test(per_test.to_dicts(), stats, expected)


def java_major():
    """The major version of the `java` on PATH, or None."""
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r'version "(\d+)', out.stderr)
    return int(found.group(1)) if found else None


def test_spark_query(store, stats, expected):
    if (java_major() or 0) < 17:
        assert "CI" not in os.environ, "Spark needs Java 17 or newer on PATH"
        pytest.skip("Spark needs Java 17 or newer on PATH")
    code = snippet("python", "# spark")
    code = code.replace('.master("local[2]")', '.master("local[2]").config("spark.ui.enabled", "false")')
    per_test = run_python(code, store)
    try:
        check_per_test([r.asDict() for r in per_test.collect()], stats, expected)
    finally:
        per_test.sparkSession.stop()


def parquet(store, table):
    return [str(d / f"{table}.parquet") for d in segments(store)]


def test_duckdb_filters_and_joins_on_every_key(store, stats):
    con = duckdb.connect()
    e, t, r, p = (parquet(store, x) for x in ("executions", "tests", "runs", "reports"))
    count = lambda q, *a: con.execute(q, list(a)).fetchone()[0]
    # A filter agrees with the same count taken without pruning (the statistics are right).
    for status in range(5):
        where = count("SELECT count(*) FROM read_parquet(?) WHERE status = ?", e, status)
        scan = count("SELECT count(*) FILTER (WHERE status = ?) FROM read_parquet(?)", status, e)
        assert where == scan
    assert count("SELECT count(*) FROM read_parquet(?) WHERE status = 1", e) > 0
    # Every execution joins its test, run and report; a filter on a key finds its rows.
    joined = count(
        """SELECT count(*) FROM read_parquet(?) x
           JOIN (SELECT DISTINCT ON (test) * FROM read_parquet(?)) t USING (test)
           JOIN read_parquet(?) r USING (run_key)
           JOIN read_parquet(?) p USING (report_key)""",
        e, t, r, p,
    )
    assert joined == stats["executions"]
    key = count("SELECT max(run_key) FROM read_parquet(?)", e)
    assert count("SELECT count(*) FROM read_parquet(?) WHERE run_key = ?", e, key) > 0
    assert count("SELECT count(*) FROM read_parquet(?) WHERE run_key = ?", r, key) == 1
    assert count("SELECT count(*) FROM read_parquet(?)", r) == stats["runs"]
    assert count("SELECT count(*) FROM read_parquet(?)", p) == stats["files"]


def test_pyarrow_and_polars_filter_on_keys_and_pandas_keeps_fingerprints(store, stats):
    import pyarrow.dataset as ds

    e = ds.dataset(parquet(store, "executions"), format="parquet")
    r = ds.dataset(parquet(store, "runs"), format="parquet")
    key = r.to_table().column("run_key")[0].as_py()
    n = e.to_table(filter=ds.field("run_key") == key).num_rows
    assert n > 0
    assert pl.scan_parquet(parquet(store, "executions")).filter(pl.col("run_key") == key).collect().height == n
    # Every fingerprint testsift reports is in the store, digit for digit, as pandas reads it.
    flaky = json.loads(run_testsift("flaky", "--format", "json", "--store", str(store), *FLAKY_ARGS))
    reported = {g["fingerprint"] for t in flaky["tests"] for g in t["fingerprints"]}
    assert reported
    df = pd.concat([pd.read_parquet(f) for f in parquet(store, "executions")])
    stored = set(df["fingerprint"].dropna())
    assert reported <= stored
