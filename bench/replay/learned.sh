#!/usr/bin/env bash
# Runs bench/replay/learned.py (a learned model's APFD on a RETECS-layout data set, against the
# decayed failure rate) in a virtualenv under target/ with the pinned scikit-learn.
# Usage: bench/replay/learned.sh DATA.csv
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/learned-venv
if ! "$venv/bin/python" -c 'import sklearn, sys; sys.exit(sklearn.__version__ != "1.9.1")' 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check scikit-learn==1.9.1 numpy==2.4.6
fi
"$venv/bin/python" bench/replay/learned.py "$@"
