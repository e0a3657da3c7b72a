"""What the measurement scripts share: the peakplan binary to run and a history CSV's rows."""
import csv
import datetime
import os

SAMPLE = "forecasts/promo-peak-history.csv"


def binary():
    """`$PEAKPLAN`, else the release build in `$CARGO_TARGET_DIR` (or ./target)."""
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    return os.environ.get("PEAKPLAN", os.path.join(target, "release", "peakplan"))


def read(path):
    """(path, header, data rows, and the timestamp, channel and volume columns) of a history CSV,
    the sample's when `path` is None."""
    path = path or SAMPLE
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    return path, header, data, header.index("timestamp"), header.index("channel"), header.index("volume")


def date_span(data, ts):
    """The first and last local dates of the rows."""
    dates = sorted({r[ts][:10] for r in data})
    return datetime.date.fromisoformat(dates[0]), datetime.date.fromisoformat(dates[-1])


def first_cut(first, weeks):
    """The first Monday at least `weeks` weeks after `first`: where a walk forward starts."""
    cut = first + datetime.timedelta(days=7 * weeks)
    return cut + datetime.timedelta(days=(7 - cut.weekday()) % 7)


def write(path, header, rows):
    """A history CSV of `rows` under `header`."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _scenario(scenario):
    import tomllib
    with open(scenario, "rb") as f:
        return tomllib.load(f)


def of_scenario(scenario):
    """The history a scenario file names (`history = "…"`, relative to the file), or None."""
    named = scenario and _scenario(scenario).get("history")
    return named and os.path.join(os.path.dirname(scenario), named)


def scenario_interval(scenario):
    """The interval in minutes a scenario forecasts in, or None without one."""
    return scenario and _scenario(scenario)["interval_minutes"]


def scenario_text(name, time_zone, history, channel, calendar, hours):
    """A forecasting scenario for a history a series script wrote: its one `channel`, the
    `calendar` lines (holidays), the opening `hours` (a TOML inline table's body), and a horizon and
    service target that a forecast or backtest does not read."""
    return f"""name = "{name}"
time_zone = "{time_zone}"
interval_minutes = 30
history = "{os.path.abspath(history)}"
{calendar}

[horizon]
start = 2030-01-07
end = 2030-01-13

[[channels]]
id = "{channel}"
kind = "voice"
aht_seconds = 300
shrinkage = 0.3
opening_hours = {{ {hours} }}
service_target = {{ answered_within_seconds = 20, share = 0.8 }}"""


def parser():
    """An argument parser with the options every window measurement takes: `--history` and
    `--time-zone`."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--history", help="history CSV (timestamp,channel,volume); default: the sample")
    p.add_argument("--time-zone", default="UTC")
    return p
