#!/usr/bin/env bash
# Installs the test runners tests/select.rs feeds `testsift select` output to: pytest in a
# virtualenv named after its version (target/runners/pytest-VERSION, so trees pinning different
# versions never install over each other) and jest with jest-junit in an npm folder, both under
# target/runners/. Idempotent: a runner already installed at the pinned version is left alone. cargo-nextest is not installed
# here; the tests use `cargo nextest` when it is on the PATH.
#
# Usage: scripts/install-runners.sh [pytest|jest]...   (no argument: both)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${CARGO_TARGET_DIR:-$root/target}/runners"
PYTEST_VERSION=9.2.0
JEST_VERSION=29.7.0
JEST_JUNIT_VERSION=16.0.0

install_pytest() {
    local venv="$dest/pytest-$PYTEST_VERSION"
    if [ -x "$venv/bin/pytest" ] && "$venv/bin/pytest" --version 2>&1 | grep -q "pytest $PYTEST_VERSION"; then
        return 0
    fi
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pytest==$PYTEST_VERSION"
    "$venv/bin/pytest" --version
}

install_jest() {
    local dir="$dest/jest"
    if [ -x "$dir/node_modules/.bin/jest" ] && [ -d "$dir/node_modules/jest-junit" ] \
        && "$dir/node_modules/.bin/jest" --version 2>/dev/null | grep -qx "$JEST_VERSION"; then
        return 0
    fi
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"name":"testsift-runners","private":true}' > "$dir/package.json"
    (cd "$dir" && npm install --silent --no-audit --no-fund "jest@$JEST_VERSION" "jest-junit@$JEST_JUNIT_VERSION")
    "$dir/node_modules/.bin/jest" --version
}

mkdir -p "$dest"
runners=("$@")
[ ${#runners[@]} -gt 0 ] || runners=(pytest jest)
for r in "${runners[@]}"; do
    case "$r" in
        pytest) install_pytest ;;
        jest) install_jest ;;
        *) echo "install-runners.sh: unknown runner $r (pytest, jest)" >&2; exit 2 ;;
    esac
done
