#!/usr/bin/env bash
# The whole CXM test suite: lint, types, migrations, then the tests on SQLite
# and again on a throw-away PostgreSQL. `make test` and `.ci/run` run this.
set -uo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
export CXM_DATA_DIR
CXM_DATA_DIR=$(mktemp -d /tmp/cxm-test.XXXXXX)
PGDIR=$(mktemp -d /tmp/cxm-pg.XXXXXX)
cleanup() { scripts/pg-test-server stop "$PGDIR"; rm -rf "$CXM_DATA_DIR"; }
trap cleanup EXIT

workers=${CXM_TEST_WORKERS:-$(nproc)}
failed=()

step() { echo; echo "== $*"; }

step "ruff"
$VENV/bin/ruff check . || failed+=("ruff check")
$VENV/bin/ruff format --check . || failed+=("ruff format")

step "mypy"
$VENV/bin/mypy cxm bench || failed+=("mypy")

step "makemigrations --check"
$VENV/bin/cxm makemigrations --check --dry-run || failed+=("makemigrations")

step "check --deploy (production settings)"
CXM_HTTPS=1 CXM_ALLOWED_HOSTS=cxm.example.com \
    CXM_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') \
    $VENV/bin/cxm check --deploy --fail-level WARNING || failed+=("check --deploy")

step "bandit (high severity)"
$VENV/bin/bandit -q -r cxm --severity-level high || failed+=("bandit")

step "pip-audit"
scripts/audit-deps || failed+=("pip-audit")

step "schemathesis against the running API"
scripts/api-fuzz || failed+=("schemathesis")

step "tests on SQLite"
env -u DATABASE_URL $VENV/bin/pytest -n "$workers" -q || failed+=("tests on SQLite")

step "tests on PostgreSQL"
if url=$(scripts/pg-test-server start "$PGDIR"); then
    DATABASE_URL=$url $VENV/bin/pytest -n "$workers" -q || failed+=("tests on PostgreSQL")
else
    failed+=("PostgreSQL did not start")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "All checks passed: ruff, mypy, makemigrations, check --deploy, bandit, pip-audit (see above),"
echo "schemathesis, tests on SQLite and PostgreSQL."
