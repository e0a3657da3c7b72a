"""Writes three years of a real public series in peakplan's history format, for the weekly benchmarks.

The series: half-hourly electricity demand of Victoria, Australia, 2012 to 2014 (1,096 days), from
the Australian Energy Market Operator, published as `vic_elec` in the R package tsibbledata
(Hyndman et al.) and as a CSV (`rownames,Time,Demand,Temperature,Date,Holiday`) by the Rdatasets
collection (csv/tsibbledata/vic_elec.csv). `../shared/data/real/` holds its 2014 only, too short for
the weekly backtest (65 weeks before the first origin). Its timestamps are UTC instants marked `Z`;
they are written in Melbourne's local time with its offset (+11:00 under daylight saving, +10:00
otherwise: the clocks the source's `Date` follows), one channel `demand` in megawatts (rounded).

    python3 scripts/vic_elec_history.py vic_elec.csv > /tmp/vic-elec.csv
    python3 scripts/vic_elec_history.py vic_elec.csv --scenario /tmp/vic-elec.csv > /tmp/vic-elec.toml
    peakplan backtest --weekly --scenario /tmp/vic-elec.toml

With --scenario HISTORY a forecasting scenario is written instead: Melbourne's time zone, the
history at HISTORY, and the source's public holidays (`Holiday`) as open-but-quiet days.
"""
import argparse
import csv
import datetime
import sys
import zoneinfo

import history_csv

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("source", help="Rdatasets csv/tsibbledata/vic_elec.csv")
parser.add_argument("--scenario", metavar="HISTORY", help="write a scenario for this history instead")
args = parser.parse_args()

melbourne = zoneinfo.ZoneInfo("Australia/Melbourne")
out = csv.writer(sys.stdout, lineterminator="\n")
holidays = []
if not args.scenario:
    out.writerow(["timestamp", "channel", "volume"])
with open(args.source, newline="") as f:
    for line, row in enumerate(csv.DictReader(f), start=2):
        stamp = row["Time"]
        if not stamp.endswith("Z"):
            sys.exit(f"{args.source}:{line}: expected a timestamp ending in Z, got {stamp!r}")
        if row["Holiday"] == "TRUE" and row["Date"] not in holidays:
            holidays.append(row["Date"])
        if not args.scenario and row["Demand"] not in ("", "NA"):
            utc = datetime.datetime.fromisoformat(stamp[:-1] + "+00:00")
            local = utc.astimezone(melbourne).isoformat(timespec="seconds")
            if local[:10] != row["Date"]:
                sys.exit(f"{args.source}:{line}: {stamp} is {local} in Melbourne, not on {row['Date']}")
            out.writerow([local, "demand", round(float(row["Demand"]))])
if args.scenario:
    # Public holidays are quieter days, not closed ones; until the history holds one to learn the
    # share from, it is taken as 0.9.
    calendar = f"quiet_holidays = [{', '.join(holidays)}]\nquiet_factor = 0.9"
    print(history_csv.scenario_text("Victoria electricity demand 2012-2014", "Australia/Melbourne",
                                    args.scenario, "demand", calendar, 'daily = "00:00-24:00"'))
