"""Results of latency under load that the report tests write for themselves: redis cells swept over
offered rates (each runner's hockey stick), cells on a stalling embedded server (C19), and the
histogram side files beside them in HdrHistogram's percentile-distribution format."""

import csv
import json
import math
import os
import random

from fixture_columns import COLUMNS, FIXTURES  # (puts the scripts on the path)

# What the open-loop build adds to results.csv (reports/SCHEMA.md).
LATENCY_COLUMNS = COLUMNS + ["offered_per_s", "late_p99_us", "histogram"]
# rate=P% of the closed-loop peak, as the quick and full presets sweep it.
SHARES = (10, 30, 50, 70, 90, 100)
REDIS = {"arrival": "constant", "delay_us": "0", "fault": "none", "key_dist": "uniform", "keys": "1000", "op": "get",
         "pipeline": "1", "placement": "none", "rate": "0", "ratio": "0:1", "requests": "10000", "server": "embedded",
         "stall_every_ms": "1000", "stall_ms": "0", "value_size": "32"}
REPETITIONS = 3


def params_text(params):
    return ";".join(f"{k}={v}" for k, v in sorted(params.items()))


def cell_rows(runner, workers, params, achieved, p50, p99, offered=None, saturated=False, histogram=""):
    """The rows of one cell's repetitions; the latencies differ a little between them, the times not
    at all (a cell of this fixture is never unstable)."""
    text = params_text(params)
    rows = []
    for rep in range(REPETITIONS):
        row = {c: "" for c in LATENCY_COLUMNS}
        jitter = 1 + 0.01 * (rep - 1)
        row.update(cell=f"redis/{runner}/workers:{workers}/{text}", scenario="redis", runner=runner, workers=workers,
                   params=text, repetition=rep, status="ok", wall_s=10000 / achieved, ops=10000, ops_per_s=achieved,
                   lat_p50_us=p50 * jitter, lat_p90_us=(p50 + p99) / 2 * jitter, lat_p99_us=p99 * jitter,
                   lat_p999_us=p99 * 1.5 * jitter, result=10000, host="alpha",
                   message=f"saturated: {achieved:.0f} of {offered:.0f} requests/s offered" if saturated else "",
                   offered_per_s="" if offered is None else offered, late_p99_us="" if offered is None else 5 * jitter,
                   histogram=f"{histogram}.{rep}.hgrm" if histogram else "")
        rows.append(row)
    return rows


def hockey_stick(share, peak, base_us):
    """(achieved rate, p50, p99) at a share of the peak: latency grows as 1/(1-load), and past the
    peak the rate achieved falls below the one before it (so that drawing by achieved rate would
    reorder the points)."""
    load = min(share, 95) / 100
    achieved = peak * share / 100 if share < 100 else peak * 0.85
    return achieved, base_us / (1 - load), 4 * base_us / (1 - load) ** 2


def sweep_rows(runners=("pthread", "epoll"), workers=64, shares=SHARES, placement="none", stall_ms=0,
               histograms=True):
    """A closed-loop cell and one open-loop cell per share of its peak, for each runner."""
    rows = []
    for i, runner in enumerate(runners):
        peak, base = 40000 + 20000 * i, 30 + 10 * i
        params = dict(REDIS, placement=placement)
        if stall_ms:
            params.update(stall_ms=str(stall_ms), stall_every_ms=str(10 * stall_ms))
        name = lambda rate: f"histograms/{runner}-{workers}-{placement}-{stall_ms}-{rate}" if histograms else ""  # noqa
        rows += cell_rows(runner, workers, params, peak, base, 3 * base, histogram=name(0))
        for share in shares:
            achieved, p50, p99 = hockey_stick(share, peak, base)
            rows += cell_rows(runner, workers, dict(params, rate=f"{share}%"), achieved, p50, p99,
                              offered=peak * share / 100, saturated=share >= 100, histogram=name(share))
    return rows


def stall_rows(open_p99, closed_p99, clean_p99, runner="pthread", workers=8, shares=(50,), stall_ms=20):
    """C19's cells: the closed loop on a server that does not stall, and the closed loop and open
    loops at the shares given on one that stalls for stall_ms every ten times as long."""
    peak = 40000
    clean = dict(REDIS)
    stalled = dict(REDIS, stall_ms=str(stall_ms), stall_every_ms=str(10 * stall_ms))
    rows = cell_rows(runner, workers, clean, peak, 30, clean_p99)
    rows += cell_rows(runner, workers, stalled, peak * 0.95, 30, closed_p99)
    for share in shares:
        offered = peak * 0.95 * share / 100
        rows += cell_rows(runner, workers, dict(stalled, rate=f"{share}%"), offered, 35, open_p99, offered=offered)
    return rows


def hgrm_text(p50, p99, total=10000):
    """A percentile distribution as HdrHistogram prints one (values in µs), shaped by its p50 and p99."""
    lines = [f"{'Value':>12} {'Percentile':>14} {'TotalCount':>10} {'1/(1-Percentile)':>14}", ""]
    # Anchors on the 1/(1-p) scale: the fastest at half the median, the tail doubling past the p99.
    xs, ys = [0.0, math.log(2), math.log(100), math.log(10000)], [math.log(p50 / 2), math.log(p50), math.log(p99),
                                                                  math.log(2 * p99)]
    for p in (0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999):
        x = math.log(1 / (1 - p))
        k = max(i for i in range(len(xs) - 1) if xs[i] <= x)
        y = ys[k] + (ys[k + 1] - ys[k]) * (x - xs[k]) / (xs[k + 1] - xs[k])
        lines.append(f"{math.exp(y):12.3f} {p:2.12f} {max(1, math.ceil(p * total)):10d} {1 / (1 - p):14.2f}")
    most = 3 * p99
    lines.append(f"{most:12.3f} {1.0:2.12f} {total:10d}")
    lines += [f"#[Mean    = {p50 * 1.2:12.3f}, StdDeviation   = {p99 / 3:12.3f}]",
              f"#[Max     = {most:12.3f}, Total count    = {total:12d}]",
              f"#[Buckets = {22:12d}, SubBuckets     = {2048:12d}]"]
    return "\n".join(lines) + "\n"


def write_run(folder, rows, shuffle=True):
    """results.csv (rows in a shuffled order: the report must not depend on it), env.json, and a
    side file for every row that names one, shaped by the row's own p50 and p99."""
    rows = list(rows)
    if shuffle:
        random.Random(19).shuffle(rows)
    with open(os.path.join(folder, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LATENCY_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(FIXTURES, "run_a", "env.json")) as f, open(os.path.join(folder, "env.json"), "w") as out:
        json.dump(json.load(f), out)
    for row in rows:
        if row["histogram"]:
            path = os.path.join(folder, row["histogram"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(hgrm_text(row["lat_p50_us"], row["lat_p99_us"]))
