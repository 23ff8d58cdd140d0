#!/usr/bin/env bash
# Install what the test suite needs on a fresh machine, then run it:
# Debian's chromium for the browser tests, evalboard with its test extra, ruff, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test,inspect]'
python3 -m ruff check .
# Two workers: the suite mostly waits (servers starting, browsers drawing), so two halve its time even on two cores.
# Each worker runs its browser tests after its other tests (tests/conftest.py), as one process does.
python3 -m pytest -n 2 "$@"
