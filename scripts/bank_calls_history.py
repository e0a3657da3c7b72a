"""Writes a real call-centre series in peakplan's history format, for the forecast benchmarks.

The series: five-minute call volume of a large North American commercial bank, weekdays 07:00 to
21:05 from 3 March to 24 October 2003 (164 days; public holidays and a few other days missing),
from Weinberg, Brown & Stroud (2007), published as `bank_calls` in the R package fpp3 (Hyndman &
Athanasopoulos) and as a CSV (`rownames,DateTime,Calls`) by the Rdatasets collection
(csv/fpp3/bank_calls.csv). Its timestamps are local clock times marked `Z`; they are written
here as UTC, one channel `voice`, rows without a count left out.

    python3 scripts/bank_calls_history.py bank_calls.csv > bank-calls-history.csv
    peakplan backtest --history bank-calls-history.csv --time-zone UTC

With --scenario HISTORY a forecasting scenario is written instead: 30-minute intervals, weekdays
07:00-21:30, and the three US federal holidays the series has no rows for (Memorial Day, 4 July,
Labor Day 2003) listed as closed. The other weekdays without rows (4 and 7 April, 14 October) are
gaps in the data, not holidays, and are left to the history's own reading.

    python3 scripts/bank_calls_history.py bank_calls.csv --scenario bank-calls-history.csv > bank.toml
"""
import argparse
import csv
import sys

import history_csv

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("source", help="Rdatasets csv/fpp3/bank_calls.csv")
parser.add_argument("--scenario", metavar="HISTORY", help="write a scenario for this history instead")
args = parser.parse_args()
if args.scenario:
    print(history_csv.scenario_text("bank calls 2003", "UTC", args.scenario, "voice",
                                    "holidays = [2003-05-26, 2003-07-04, 2003-09-01]",
                                    'daily = "07:00-21:30", sat = "closed", sun = "closed"'))
    sys.exit()
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["timestamp", "channel", "volume"])
with open(args.source, newline="") as f:
    for line, row in enumerate(csv.DictReader(f), start=2):
        calls = row["Calls"]
        if calls in ("", "NA"):
            continue
        stamp = row["DateTime"]
        if not stamp.endswith("Z"):
            sys.exit(f"{args.source}:{line}: expected a timestamp ending in Z, got {stamp!r}")
        out.writerow([stamp[:-1] + "+00:00", "voice", calls])
