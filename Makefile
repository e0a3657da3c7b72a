# The two commands of the quick start, and the checks CI runs.
# Each first checks for cmake, a C++ compiler and libclang (needed to build the bundled HiGHS
# solver) and installs whichever is missing.

CARGO ?= cargo

.PHONY: demo test check prereqs bench

prereqs:
	@scripts/prereqs.sh

## Plan the bundled Double 11 sample end to end: forecast, roster, simulation, published, report.
demo: prereqs
	$(CARGO) run --release --locked --bin peakplan -- demo

## The whole test suite: unit, property, simulation cross-check and end-to-end CLI tests.
test: prereqs
	$(CARGO) test --locked

## Formatting and lints, as CI runs them.
check: prereqs
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

## Benchmarks recorded in BENCHMARKS.md.
bench: prereqs
	$(CARGO) bench --locked
