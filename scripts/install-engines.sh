#!/usr/bin/env bash
# Installs the engines tests/engines.rs reads the store with (DuckDB, pandas with pyarrow,
# polars, PySpark) and pytest, at the versions pinned in tests/engines/requirements.txt, into a
# virtualenv under target/engines/. Idempotent: a venv that already has the pinned versions is
# left alone. PySpark also needs a Java runtime, 17 or newer, on PATH (`java -version`; on
# Debian and Ubuntu: apt-get install openjdk-17-jre-headless); this script says when it is
# missing but installs none.
#
# Usage: scripts/install-engines.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${CARGO_TARGET_DIR:-$root/target}/engines"
requirements="$root/tests/engines/requirements.txt"
venv="$dest/venv"
stamp="$venv/requirements.txt"

java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1 || true)
if [ "${java_major:-0}" -lt 17 ]; then
    echo "install-engines.sh: note: no Java 17 or newer on PATH (found: ${java_major:-none}); the Spark test needs one" >&2
fi
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    exit 0
fi
mkdir -p "$dest"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
"$venv/bin/python" -c 'import duckdb, pandas, pyarrow, polars, pyspark, pytest; print("duckdb", duckdb.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "polars", polars.__version__, "pyspark", pyspark.__version__, "pytest", pytest.__version__)'
