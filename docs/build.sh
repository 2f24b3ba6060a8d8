#!/usr/bin/env bash
# Build the HTML documentation into docs/_build/html. Warnings are errors.
# Needs the docs extra: pip install -e ".[docs]"
set -euo pipefail
cd "$(dirname "$0")/.."
python -m sphinx -W -b html docs docs/_build/html "$@"
