#!/usr/bin/env bash
# Set up with the test tools, then run the linters and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check perfeval tests benchmarks
.venv/bin/ruff format --check perfeval tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
