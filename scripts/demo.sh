#!/usr/bin/env bash
# Build the release wheel, install it into .venv, and run the demo.
set -euo pipefail
source "$(dirname "$0")/_env.sh"

"$VENV/bin/maturin" build --release --out dist --quiet
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall \
    "$(ls -t dist/apscheduler_rs-*.whl | head -n 1)"
"$PY" examples/demo.py
