"""Intraday re-forecast against the unadjusted forecast on the sample history (BENCHMARKS.md).

For each day from 12 to 30 October 2026: cut the history at 11:00 that day (three hours of voice and
chat actuals, eleven of email), forecast the day with `peakplan forecast` once with those actuals and
once without the day at all, and compare the error over the rest of the day (WAPE).

    cargo build --release && python3 scripts/measure_reforecast.py
"""
import collections
import csv
import os
import subprocess

B = os.environ.get("PEAKPLAN", "target/release/peakplan")
rows=list(csv.reader(open("forecasts/promo-peak-history.csv")))
header, data = rows[0], rows[1:]
days=["2026-10-%02d"%d for d in range(12,31)] 
tot=collections.defaultdict(lambda:[0.0,0.0,0.0])
for day in days:
    cut=day+"T11:00"
    keep=[r for r in data if r[0][:16] < cut]
    before=[r for r in keep if not r[0].startswith(day)]
    actual={ (r[0],r[1]): float(r[2]) for r in data if r[0].startswith(day) and r[0][11:16] >= "11:00"}
    res={}
    for name, rs in (("adjusted",keep),("plain",before)):
        with open("/tmp/peakplan-reforecast-h.csv","w",newline="") as f:
            w=csv.writer(f); w.writerow(header); w.writerows(rs)
        nxt=day[:8]+"%02d"%(int(day[8:])+1)
        subprocess.run([B,"forecast","--scenario","models/promo-peak.toml","--history","/tmp/peakplan-reforecast-h.csv","--start",day+"T00:00","--end",nxt+"T00:00","--out","/tmp/peakplan-reforecast-f.csv","--method","level-profile"],check=True,capture_output=True)
        res[name]={ (r["timestamp"],r["channel"]): float(r["volume"]) for r in csv.DictReader(open("/tmp/peakplan-reforecast-f.csv"))}
    for (ts,ch),a in actual.items():
        t=tot[ch]; t[0]+=a; t[1]+=abs(res["adjusted"].get((ts,ch),0)-a); t[2]+=abs(res["plain"].get((ts,ch),0)-a)
for ch,(a,e1,e2) in tot.items():
    print(f"{ch}: rest-of-day WAPE re-forecast {e1/a*100:.1f}% vs unadjusted {e2/a*100:.1f}% over {len(days)} days")
