"""What the measurement scripts share: the peakplan binary to run and a history CSV's rows."""
import csv
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


def of_scenario(scenario):
    """The history a scenario file names (`history = "…"`, relative to the file), or None."""
    if scenario is None:
        return None
    import tomllib
    with open(scenario, "rb") as f:
        named = tomllib.load(f).get("history")
    return named and os.path.join(os.path.dirname(scenario), named)


def parser():
    """An argument parser with the options every window measurement takes: `--history` and
    `--time-zone`."""
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--history", help="history CSV (timestamp,channel,volume); default: the sample")
    p.add_argument("--time-zone", default="UTC")
    return p
