"""Week-ahead accuracy out of sample (BENCHMARKS.md "Week ahead, out of sample").

Walks forward through a history: at each Monday from `--first-weeks` weeks after its start, cuts
the history there, forecasts the next 7 days with `peakplan forecast` (the automatic choice unless
`--method`), and scores the forecast against what followed, every interval the history has in that
week (holidays and odd days included: a planner lives with them). Beside it, the same-weekday
interval averages over the last k = 4, 5, …, 12 weeks, computed here from the raw rows the
way a planner's spreadsheet would (the last k days of that weekday before the cut that have rows),
so the yardstick shares no code with peakplan.

    cargo build --release && python3 scripts/measure_week_ahead.py --history H.csv --time-zone UTC
    python3 scripts/measure_week_ahead.py --scenario models/promo-peak.toml --first-weeks 70

The history is read in its local time (timestamps written with the local offset, as the sample's
and the real series' are).
"""
import argparse
import collections
import csv
import datetime
import os
import subprocess
import tempfile

import history_csv

parser = argparse.ArgumentParser()
parser.add_argument("--history", help="history CSV (timestamp,channel,volume); default: the scenario's")
parser.add_argument("--scenario", help="a scenario to forecast with (holidays, events, hours)")
parser.add_argument("--time-zone", default="UTC", help="without --scenario")
parser.add_argument("--first-weeks", type=int, default=6, help="weeks of history before the first cut")
parser.add_argument("--method", default="auto", help="a method instead of the automatic choice")
parser.add_argument("--origins", type=int, help="backtest origins behind the choice (peakplan's default)")
args = parser.parse_args()

binary = history_csv.binary()
path, header, data, ts, ch, vol = history_csv.read(args.history or history_csv.of_scenario(args.scenario))
day_of = lambda r: r[ts][:10]
# A scenario forecasts in its own interval; a finer history is summed up to it, as peakplan does.
step = history_csv.scenario_interval(args.scenario)


def clock_of(r):
    minute = int(r[ts][11:13]) * 60 + int(r[ts][14:16])
    if step:
        minute -= minute % step
    return f"{minute // 60:02d}:{minute % 60:02d}"


volume = collections.defaultdict(lambda: collections.defaultdict(float))  # channel -> {(date, hh:mm): volume}
for r in data:
    volume[r[ch]][(day_of(r), clock_of(r))] += float(r[vol])
days_with_rows = {c: sorted({d for d, _ in cells}) for c, cells in volume.items()}
first, last = history_csv.date_span(data, ts)
cut = history_csv.first_cut(first, args.first_weeks)

KS = list(range(4, 13))
errors = collections.defaultdict(lambda: collections.defaultdict(lambda: [0.0, 0.0]))
cuts = 0
with tempfile.TemporaryDirectory() as tmp:
    history_file, out_file = os.path.join(tmp, "h.csv"), os.path.join(tmp, "f.csv")
    while cut + datetime.timedelta(days=7) <= last + datetime.timedelta(days=1):
        start, end = cut.isoformat(), (cut + datetime.timedelta(days=7)).isoformat()
        history_csv.write(history_file, header, (r for r in data if day_of(r) < start))
        cmd = [binary, "forecast", "--history", history_file, "--start", f"{start}T00:00",
               "--end", f"{end}T00:00", "--out", out_file, "--method", args.method]
        cmd += ["--scenario", args.scenario] if args.scenario else ["--time-zone", args.time_zone]
        cmd += ["--origins", str(args.origins)] if args.origins else []
        subprocess.run(cmd, check=True, capture_output=True)
        # By local clock, both passes of a repeated (fall-back) hour summed, as the actuals are.
        forecast = collections.defaultdict(float)
        for r in csv.DictReader(open(out_file)):
            forecast[(r["channel"], r["timestamp"][:10], r["timestamp"][11:16])] += float(r["volume"])
        for c, cells in volume.items():
            # Per weekday, the days before the cut that have rows.
            before_by_weekday = collections.defaultdict(list)
            for x in days_with_rows[c]:
                if x < start:
                    before_by_weekday[datetime.date.fromisoformat(x).weekday()].append(x)
            for (d, t), a in cells.items():
                if not start <= d < end:
                    continue
                e = errors[c]
                e["peakplan"][0] += abs(a - forecast.get((c, d, t), 0.0))
                e["peakplan"][1] += a
                before = before_by_weekday[datetime.date.fromisoformat(d).weekday()]
                for k in KS:
                    seen = [cells[(x, t)] for x in before[-k:] if (x, t) in cells]
                    average = sum(seen) / len(seen) if seen else 0.0
                    e[f"average {k} weeks"][0] += abs(a - average)
                    e[f"average {k} weeks"][1] += a
        cut += datetime.timedelta(days=7)
        cuts += 1

print(f"{path}: {cuts} weekly cuts from week {args.first_weeks}, method {args.method}")
for c, e in errors.items():
    wape = {name: err / act for name, (err, act) in e.items() if act > 0}
    best_k = min(KS, key=lambda k: wape[f"average {k} weeks"])
    best = wape[f"average {best_k} weeks"]
    ours = wape["peakplan"]
    averages = ", ".join(f"{k}: {wape[f'average {k} weeks'] * 100:.2f} %" for k in KS)
    print(f"{c}: peakplan {ours * 100:.2f} %; same-weekday averages {averages}; "
          f"against the best ({best_k} weeks) {(ours / best - 1) * 100:+.1f} %")
