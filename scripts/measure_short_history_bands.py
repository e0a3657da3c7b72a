"""How often a channel's first weeks' bands hold the next week (BENCHMARKS.md "Bands by horizon day").

Slides a window of `--days` days through a history, a week at a time: the window alone is the
history, `peakplan forecast` (auto) forecasts the 7 days after it, and every interval that followed
is checked against the forecast's p10–p90. Prints the share inside and the median band width
relative to the forecast, per channel.

    cargo build --release && python3 scripts/measure_short_history_bands.py --history H.csv --days 21
"""
import collections
import csv
import datetime
import os
import statistics
import subprocess
import tempfile

import history_csv

parser = history_csv.parser()
parser.add_argument("--days", type=int, default=21, help="days of history in each window")
args = parser.parse_args()

binary = history_csv.binary()
path, header, data, ts, ch, vol = history_csv.read(args.history)
day_of = lambda r: r[ts][:10]
actual = {(r[ch], r[ts][:16]): float(r[vol]) for r in data}
first, last = history_csv.date_span(data, ts)

inside = collections.Counter()
count = collections.Counter()
widths = collections.defaultdict(list)
windows = 0
with tempfile.TemporaryDirectory() as tmp:
    history_file, out_file = os.path.join(tmp, "h.csv"), os.path.join(tmp, "f.csv")
    start = first
    while start + datetime.timedelta(days=args.days + 7) <= last + datetime.timedelta(days=1):
        cut = start + datetime.timedelta(days=args.days)
        history_csv.write(history_file, header,
                          (r for r in data if start.isoformat() <= day_of(r) < cut.isoformat()))
        end = cut + datetime.timedelta(days=7)
        subprocess.run([binary, "forecast", "--history", history_file, "--time-zone", args.time_zone,
                        "--start", f"{cut}T00:00", "--end", f"{end}T00:00", "--out", out_file],
                       check=True, capture_output=True)
        for r in csv.DictReader(open(out_file)):
            a = actual.get((r["channel"], r["timestamp"][:16]))
            if a is None:
                continue
            p10, p90, f = float(r["p10"]), float(r["p90"]), float(r["volume"])
            inside[r["channel"]] += p10 <= a <= p90
            count[r["channel"]] += 1
            if f > 0:
                widths[r["channel"]].append((p90 - p10) / f)
        start += datetime.timedelta(days=7)
        windows += 1

print(f"{path}: {windows} windows of {args.days} days, each forecast 7 days ahead")
for c in count:
    print(f"{c}: p10–p90 coverage {inside[c] / count[c] * 100:.1f} % of {count[c]} intervals, "
          f"median width {statistics.median(widths[c]) * 100:.1f} % of the forecast")
