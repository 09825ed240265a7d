#!/usr/bin/env bash
# Runs the whole pytest suite (every database-touching test runs on SQLite and on PostgreSQL).
# pytest exits 5 when it collects nothing: that is a failure here, never a silent pass.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "No tests were collected: treating that as a failure." >&2
  exit 1
fi
exit $status
