#!/usr/bin/env bash
# The pyworkforce side of the Erlang C comparison in BENCHMARKS.md: makes its own virtual environment
# from the package registry (under target/, or $PEAKPLAN_BENCH_VENV), then times pyworkforce on the
# workload of `cargo bench --bench queueing`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PEAKPLAN_BENCH_VENV:-${CARGO_TARGET_DIR:-target}/pyworkforce-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pyworkforce==0.5.1'
fi
exec "$venv/bin/python" benches/pyworkforce_erlang_c.py
