"""The pyworkforce side of the Erlang C comparison in BENCHMARKS.md.

Same workload as `cargo bench --bench queueing` ("erlang_c/100k cells, 20-2000 calls per 30 min"):
loads of 20–2,000 calls per 30 minutes spread by the golden-ratio sequence, AHT 300 s, 80 % within
20 s. pyworkforce is slow, so this times the first 2,000 cells and reports the time per cell.

    benches/pyworkforce.sh   (makes the virtual environment from PyPI, then runs this file)
"""

import time

from pyworkforce.queuing import ErlangC

PHI = 0.6180339887498949
CELLS = 2000


def main():
    loads = [20.0 + (2000.0 - 20.0) * ((i * PHI) % 1.0) for i in range(CELLS)]
    started = time.perf_counter()
    total = 0
    for calls in loads:
        erlang = ErlangC(transactions=calls, asa=20 / 60, aht=300 / 60, interval=30, shrinkage=0.0)
        total += erlang.required_positions(service_level=0.8, max_occupancy=1.0)["raw_positions"]
    elapsed = time.perf_counter() - started
    print(f"pyworkforce ErlangC.required_positions: {CELLS} cells in {elapsed:.2f} s, "
          f"{elapsed / CELLS * 1e6:.0f} µs per cell (sum of positions {total})")


if __name__ == "__main__":
    main()
