#!/usr/bin/env bash
# Installs the engines tests/engines.rs reads the store with (DuckDB, pandas with pyarrow,
# polars) and pytest, at the versions pinned in tests/engines/requirements.txt, into a
# virtualenv under target/engines/. Idempotent: a venv that already has the pinned versions is
# left alone.
#
# Usage: scripts/install-engines.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${CARGO_TARGET_DIR:-$root/target}/engines"
requirements="$root/tests/engines/requirements.txt"
venv="$dest/venv"
stamp="$venv/requirements.txt"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    exit 0
fi
mkdir -p "$dest"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
"$venv/bin/python" -c 'import duckdb, pandas, pyarrow, polars, pytest; print("duckdb", duckdb.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "polars", polars.__version__, "pytest", pytest.__version__)'
