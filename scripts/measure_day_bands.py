"""How often whole days' volumes fall inside their forecast p10–p90, walking forward
(BENCHMARKS.md "Bands by horizon day", whole days).

At each Monday from `--first-weeks` weeks after the history's start, cuts the history there,
forecasts the next 7 days with `peakplan forecast --json` (auto), and checks every day of that week
that has rows (holidays and odd days included) against the day's band.

    cargo build --release && python3 scripts/measure_day_bands.py --history H.csv --first-weeks 12
"""
import collections
import datetime
import json
import os
import subprocess
import tempfile

import history_csv

parser = history_csv.parser()
parser.add_argument("--first-weeks", type=int, default=12, help="weeks of history before the first cut")
args = parser.parse_args()

binary = history_csv.binary()
path, header, data, ts, ch, vol = history_csv.read(args.history)
day_of = lambda r: r[ts][:10]
total = collections.defaultdict(float)  # (channel, date) -> volume
for r in data:
    total[(r[ch], day_of(r))] += float(r[vol])
first, last = history_csv.date_span(data, ts)
cut = history_csv.first_cut(first, args.first_weeks)

inside, below, above, count = (collections.Counter() for _ in range(4))
with tempfile.TemporaryDirectory() as tmp:
    history_file, out_file = os.path.join(tmp, "h.csv"), os.path.join(tmp, "f.csv")
    while cut + datetime.timedelta(days=7) <= last + datetime.timedelta(days=1):
        end = cut + datetime.timedelta(days=7)
        history_csv.write(history_file, header, (r for r in data if day_of(r) < cut.isoformat()))
        out = subprocess.run([binary, "forecast", "--history", history_file, "--time-zone", args.time_zone,
                              "--start", f"{cut}T00:00", "--end", f"{end}T00:00", "--out", out_file, "--json"],
                             check=True, capture_output=True, text=True).stdout
        forecast = json.loads(out[out.index("{"):])
        for c in forecast["channels"]:
            for d in c["days"]:
                actual = total.get((c["channel"], d["day"]))
                if not actual or d["volume"] <= 0:
                    continue
                count[c["channel"]] += 1
                inside[c["channel"]] += d["p10"] <= actual <= d["p90"]
                below[c["channel"]] += actual < d["p10"]
                above[c["channel"]] += actual > d["p90"]
        cut = end

print(f"{path}: weekly cuts from week {args.first_weeks}")
for c in count:
    print(f"{c}: whole days inside p10–p90 {inside[c] / count[c] * 100:.1f} % of {count[c]} "
          f"({below[c]} below, {above[c]} above)")
