"""Intraday re-forecast against the unadjusted forecast (BENCHMARKS.md "Intraday re-forecast").

For each of the last `--days` complete days of a history: cut the history at `--cut` (local time)
that day, forecast the day with `peakplan forecast` once with those actuals and once without the
day at all (the method chosen automatically unless `--method`), and compare the error over the rest
of the day (WAPE per channel, summed over the days). Beside them, the fixed prior rule (the run so
far shrunk toward the plan by 15 % of the day's plan, what peakplan does without the history to
learn from) applied here to the unadjusted forecast.

    cargo build --release && python3 scripts/measure_reforecast.py
    python3 scripts/measure_reforecast.py --cut 11:00
    python3 scripts/measure_reforecast.py --history ../shared/data/real/victoria-electricity-2014.csv \
        --time-zone Australia/Brisbane
"""
import argparse
import collections
import csv
import datetime
import math
import os
import subprocess
import tempfile

import history_csv

parser = argparse.ArgumentParser()
parser.add_argument("--scenario", default="models/promo-peak.toml")
parser.add_argument("--history", help="a history CSV instead of the scenario's (no scenario then)")
parser.add_argument("--time-zone", default="UTC", help="with --history")
parser.add_argument("--cut", default="10:00", help="local time up to which the day's actuals are known")
parser.add_argument("--days", type=int, default=19, help="how many days, ending on the history's last full day")
parser.add_argument("--skip-last", type=int, default=2, help="days at the end of the history left out")
parser.add_argument("--method", help="a fixed method instead of the automatic choice")
args = parser.parse_args()

binary = history_csv.binary()
path, header, data, ts, ch, vol = history_csv.read(args.history)
local = lambda r: r[ts][:16]  # the sample and the real series are written in local time
dates = sorted({r[ts][:10] for r in data})
days = dates[-(args.days + args.skip_last) : len(dates) - args.skip_last]

totals = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
with tempfile.TemporaryDirectory() as tmp:
    history_file, out_file = os.path.join(tmp, "h.csv"), os.path.join(tmp, "f.csv")
    for day in days:
        cut = f"{day}T{args.cut}"
        keep = [r for r in data if local(r) < cut]
        before = [r for r in keep if not r[ts].startswith(day)]
        actual = {(local(r), r[ch]): float(r[vol]) for r in data if r[ts].startswith(day) and local(r) >= cut}
        forecasts = {}
        for name, subset in (("adjusted", keep), ("plain", before)):
            history_csv.write(history_file, header, subset)
            nxt = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
            cmd = [binary, "forecast", "--history", history_file, "--start", f"{day}T00:00",
                   "--end", f"{nxt}T00:00", "--out", out_file]
            cmd += ["--time-zone", args.time_zone] if args.history else ["--scenario", args.scenario]
            if args.method:
                cmd += ["--method", args.method]
            subprocess.run(cmd, check=True, capture_output=True)
            forecasts[name] = {(r["timestamp"][:16], r["channel"]): float(r["volume"])
                               for r in csv.DictReader(open(out_file))}
        # The prior rule on the unadjusted forecast, per channel.
        prior_factor = {}
        for channel in {key[1] for key in actual}:
            plan = {k: v for k, v in forecasts["plain"].items() if k[1] == channel}
            so_far_plan = sum(v for k, v in plan.items() if k[0] < cut)
            so_far = sum(float(r[vol]) for r in keep if r[ts].startswith(day) and r[ch] == channel)
            prior = max(0.15 * sum(plan.values()), 20.0)
            prior_factor[channel] = (so_far + prior) / (so_far_plan + prior)
        # The unadjusted forecast told the day's true rest-of-day total (its shape kept), per channel.
        oracle = {}
        for channel in {key[1] for key in actual}:
            rest = [k for k in actual if k[1] == channel]
            planned = sum(forecasts["plain"].get(k, 0.0) for k in rest)
            oracle[channel] = sum(actual[k] for k in rest) / planned if planned > 0 else 1.0
        for key, a in actual.items():
            t = totals[key[1]]
            plain = forecasts["plain"].get(key, 0.0)
            t[0] += a
            t[1] += abs(forecasts["adjusted"].get(key, 0.0) - a)
            t[2] += abs(plain - a)
            t[3] += abs(plain * prior_factor[key[1]] - a)
            t[4] += abs(plain * oracle[key[1]] - a)
            # Mean absolute deviation of a Poisson count around its mean, about sqrt(2λ/π).
            t[5] += math.sqrt(2.0 * plain * oracle[key[1]] / math.pi)

print(f"cut at {args.cut}, {len(days)} days ({days[0]} to {days[-1]}), method {args.method or 'auto'}")
for channel, (a, adjusted, plain, prior, oracle, noise) in totals.items():
    print(f"{channel}: rest-of-day WAPE re-forecast {adjusted / a * 100:.2f} % vs unadjusted "
          f"{plain / a * 100:.2f} % (prior rule {prior / a * 100:.2f} %; told the true rest-of-day "
          f"total {oracle / a * 100:.2f} %; Poisson noise alone {noise / a * 100:.2f} %)")
