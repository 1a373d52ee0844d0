#!/usr/bin/env bash
# Set up, then review every bundled example form: outputs/ gets the results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/perfeval run examples/
