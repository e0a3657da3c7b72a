"""Writes a real call-centre series in peakplan's history format, for the forecast benchmarks.

The series: five-minute call volume of a large North American commercial bank, weekdays 07:00 to
21:05 from 3 March to 24 October 2003 (164 days; public holidays and a few other days missing),
from Weinberg, Brown & Stroud (2007), published as `bank_calls` in the R package fpp3 (Hyndman &
Athanasopoulos) and as a CSV (`rownames,DateTime,Calls`) by the Rdatasets collection
(csv/fpp3/bank_calls.csv). Its timestamps are local clock times marked `Z`; they are written
here as UTC, one channel `voice`, rows without a count left out.

    python3 scripts/bank_calls_history.py bank_calls.csv > bank-calls-history.csv
    peakplan backtest --history bank-calls-history.csv --time-zone UTC
"""
import csv
import sys

if len(sys.argv) != 2:
    sys.exit("usage: bank_calls_history.py RDATASETS_BANK_CALLS.csv > HISTORY.csv")
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["timestamp", "channel", "volume"])
with open(sys.argv[1], newline="") as f:
    for line, row in enumerate(csv.DictReader(f), start=2):
        calls = row["Calls"]
        if calls in ("", "NA"):
            continue
        stamp = row["DateTime"]
        if not stamp.endswith("Z"):
            sys.exit(f"{sys.argv[1]}:{line}: expected a timestamp ending in Z, got {stamp!r}")
        out.writerow([stamp[:-1] + "+00:00", "voice", calls])
