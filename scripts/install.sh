#!/usr/bin/env bash
# Install CXM into .venv. With "test", also what the test suite needs:
# the test Python packages, Chromium and the PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
python=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
    "$python" -m venv "$VENV"
fi
extras=""
[ "${1:-}" = "test" ] && extras="[test]"
stamp="$VENV/.installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
    "$VENV/bin/pip" install -q --disable-pip-version-check -c requirements.lock -e ".$extras"
    touch "$stamp"
fi

if [ "${1:-}" = "test" ]; then
    missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "Install these Debian packages first (as root): ${missing[*]}" >&2
            exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q "${missing[@]}"
    fi
fi
