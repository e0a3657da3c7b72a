#!/usr/bin/env bash
# The Erlang C comparison in BENCHMARKS.md, both sides in one run: pyworkforce (in its own virtual
# environment made from the package registry, under target/ or $PEAKPLAN_BENCH_VENV) and then
# peakplan's `cargo bench --bench queueing` on the same workload.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PEAKPLAN_BENCH_VENV:-${CARGO_TARGET_DIR:-target}/pyworkforce-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pyworkforce==0.5.1'
fi
echo "== pyworkforce"
"$venv/bin/python" benches/pyworkforce_erlang_c.py
echo "== peakplan (the same workload: 100,000 cells; per cell = time / 100,000)"
cargo bench --locked --bench queueing -- "erlang_c/100k cells, 20-2000 calls per 30 min"
