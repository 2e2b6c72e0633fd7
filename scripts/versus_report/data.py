"""Loading a results folder (results.csv and env.json) and summarising its cells."""

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import baseline, results_file, stability
from .results_file import ResultsError  # noqa: F401 (callers catch it as data.ResultsError)

# Columns are taken by name from the file's header, so a column versus adds (reports/SCHEMA.md)
# needs no edit here. These are read as text; every other column holds a number, and an empty
# field is a measure the row does not have.
TEXT_COLUMNS = ("cell", "scenario", "runner", "params", "status", "message", "host", "cpus", "histogram")
# The measures the summary takes, per cell; a file without one reads it as empty.
SUMMARY_MEASURES = ("wall_s", "ops", "ops_per_s", "cpu_user_s", "cpu_sys_s", "bytes_per_s", "lat_p50_us",
                    "lat_p99_us", "pss_bytes", "rss_peak_bytes", "lost_updates", "setup_s", "syscalls",
                    "cpu_migrations", "offered_per_s", "late_p99_us")
# What else ran on the cell's CPUs, and whether a repetition was set aside for it (stability.py);
# results older than these columns read them as empty: nothing set aside.
INTERFERENCE_COLUMNS = ("other_cpu_s", "steal_s", "interfered")

# An open-loop cell (redis `rate` > 0) sends on a schedule: `rate` is 0 for the closed loop, N
# requests per second, or `P%` of the same cell's closed-loop peak. A repetition whose achieved
# rate fell short of the offered one stays ok and says this word in its message.
RATE_PARAM = "p_rate"
CLOSED_LOOP = "0"
SATURATED = "saturated"

# Parameters that belong to runners, not scenarios: they tell runner variants apart.
RUNNER_PARAMS = ("fiber_threads", "fiber_stack_kb", "fiber_stack", "fiber_poller", "loop_threads", "trigger", "uring_wait", "spawn",
                 "py_pool", "py_start", "py_fault")


# Where a cell's workers ran: its `placement` parameter (reports/SCHEMA.md). Results from before
# the parameter have none, and were what `none` is: placed by the scheduler.
PLACEMENT_DEFAULT = "none"
# The placements in the order tables, legends and claims list them; `cpus:LIST` ones come after,
# by name.
PLACEMENTS = ("none", "same", "spread", "compact")


@dataclass
class Run:
    path: str                      # the folder
    rows: pd.DataFrame             # one row per repetition, params split into p_<key> columns
    env: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # what a reader should hear about the input, said on stderr
    baseline: list = field(default_factory=list)  # baseline.csv's rows, when the folder has one (baseline.py)

    @property
    def ok(self):
        return self.rows[self.rows["status"] == "ok"]

    @property
    def not_ok(self):
        return self.rows[self.rows["status"] != "ok"]

    def cores(self):
        return int(self.env.get("logical_cores") or 0) or None


def parse_params(text):
    if not isinstance(text, str) or not text:
        return {}
    out = {}
    for part in text.split(";"):
        key, _, value = part.partition("=")
        out[key] = value
    return out


def load_run(path):
    """Reads a results folder, or a results.csv with env.json beside it. A ResultsError says what
    is wrong with either; what is only worth a word (no env.json, a torn last row) is in notes."""
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    csv_path = os.path.join(path, "results.csv") if os.path.isdir(path) else path
    if not os.path.exists(csv_path):
        raise ResultsError(f"{csv_path}: no such file; give a folder `versus run` wrote, or its results.csv")
    header, records, notes = results_file.read_results_csv(csv_path)
    if not records:
        # What a run stopped before its first row leaves: a report of nothing would only hide that.
        raise ResultsError(f"{csv_path}: no rows, only the header (an interrupted run? "
                           f"`versus run --resume {folder}` runs the cells not yet done)")
    rows = rows_frame(header, records)
    env_path = os.path.join(folder, "env.json")
    env = {}
    if os.path.exists(env_path):
        env = results_file.read_env(env_path)
    else:
        # The rows alone still make a report; only the environment and the core counts are missing.
        notes.append(f"{env_path}: no such file; the report has no environment (CPU, cores, build)")
    overhead, overhead_notes = baseline.read(folder)
    return Run(folder, rows, env, notes + overhead_notes, overhead)


def rows_frame(header, records):
    """The rows as a table: text columns as text, every other column a number (empty: NaN), the
    measures the summary takes present even in results older than them, params split out."""
    rows = pd.DataFrame(records, columns=header)
    for c in header:
        if c not in TEXT_COLUMNS:
            rows[c] = pd.to_numeric(rows[c], errors="coerce")
    for c in SUMMARY_MEASURES + INTERFERENCE_COLUMNS:
        if c not in rows.columns:
            rows[c] = np.nan
    for c in TEXT_COLUMNS:
        if c not in rows.columns:
            rows[c] = ""
    params = rows["params"].map(parse_params)
    keys = sorted({k for p in params for k in p})
    for k in keys:
        rows["p_" + k] = params.map(lambda p, k=k: p.get(k))
    rows["p_placement"] = rows["p_placement"].fillna(PLACEMENT_DEFAULT) if "p_placement" in rows \
        else PLACEMENT_DEFAULT
    rows["variant"] = [runner_variant(r, p) for r, p in zip(rows["runner"], params)]
    return rows


def runner_variant(runner, params):
    """The runner as a reader should see it: fiber on several threads is a different thing, and so
    are an edge-triggered epoll, io_uring waiting by poll, and Python processes started by spawn
    rather than fork. Defaults keep the runner's plain name."""
    name = runner
    threads = params.get("fiber_threads")
    if runner == "fiber" and threads and threads != "1":
        name = f"fiber x{threads} threads"
    loops = params.get("loop_threads")
    if loops and loops != "1":
        name = f"{runner} x{loops} loops"
    how = params.get("spawn")
    if runner == "fork" and how and how != "fork":
        name += f" ({how})"
    start = params.get("py_start")
    if runner == "py-process" and start and start != "default":
        name += f" ({start})"
    for key, default in (("fiber_poller", "epoll"), ("trigger", "level"), ("uring_wait", "recv"), ("py_pool", "pool")):
        value = params.get(key)
        if value and value != default:
            name += f" ({value})"
    # A cell with an injected fault must never be mistaken for the plain runner's numbers.
    fault = params.get("py_fault")
    if fault and fault != "none":
        name += f" (fault={fault})"
    return name


def placement_order(placements):
    """The distinct placements given, in the order of PLACEMENTS, then `cpus:LIST` ones by name."""
    seen = set(placements)
    return [p for p in PLACEMENTS if p in seen] + sorted(seen - set(PLACEMENTS))


def scenario_key(row_params):
    """The scenario's own parameters of a row, as a sorted tuple: what makes cells comparable."""
    return tuple(sorted((k, v) for k, v in parse_params(row_params).items() if k not in RUNNER_PARAMS))


def summarise(rows):
    """One line per cell: rows, the ok rows it is taken from (stability.measured: the clean ones),
    those set aside, whether it is unstable and why, median and quartiles of wall time and rates."""
    out = []
    for cell, g in rows.groupby("cell", sort=False):
        ok = stability.measured(g)
        first = g.iloc[0]
        rec = {
            "cell": cell, "scenario": first["scenario"], "runner": first["runner"], "variant": first["variant"],
            "workers": int(first["workers"]), "params": first["params"], "n": len(g), "n_ok": len(ok),
            "n_set_aside": int(stability.set_aside(g).sum()),
        }
        rec["unstable"], rec["unstable_reason"] = stability.cell_stability(g)
        # A cell with no ok row keeps why (unsupported past a limit is itself a result).
        rec["status"] = "ok" if len(ok) else first["status"]
        rec["message"] = "" if len(ok) else first["message"]
        # The CPUs the workers were bound to: one plan per cell, the same in every repetition.
        rec["cpus"] = (ok if len(ok) else g)["cpus"].iloc[0]
        rec["n_saturated"] = int(ok["message"].str.contains(SATURATED).sum())
        for col in SUMMARY_MEASURES:
            vals = ok[col].dropna().to_numpy()
            rec[col] = float(np.median(vals)) if len(vals) else np.nan
            rec[col + "_q1"] = float(np.percentile(vals, 25)) if len(vals) else np.nan
            rec[col + "_q3"] = float(np.percentile(vals, 75)) if len(vals) else np.nan
        rec["histogram"] = _histogram_of(ok, rec["lat_p99_us"])
        for k in first.index:
            if k.startswith("p_"):
                rec[k] = first[k]
        out.append(rec)
    return pd.DataFrame(out)


def _histogram_of(ok, p99):
    """The side file of the cell's repetition whose p99 is nearest the cell's median (so a spectrum
    drawn from it agrees with the table), or "" where no repetition has one."""
    have = ok[ok["histogram"].fillna("") != ""]
    if have.empty:
        return ""
    distance = (have["lat_p99_us"] - p99).abs() if p99 == p99 else pd.Series(0, index=have.index)
    return have.loc[distance.fillna(float("inf")).idxmin(), "histogram"]


def is_open_loop(rate):
    """Whether a cell's `rate` parameter (None in results from before it) sends on a schedule."""
    return isinstance(rate, str) and rate not in ("", CLOSED_LOOP)


def share_of_peak(rate):
    """The share of the closed-loop peak a `rate=P%` asks for, as a fraction; None for a rate given
    in requests per second (or none)."""
    if not isinstance(rate, str) or not rate.endswith("%"):
        return None
    try:
        return float(rate[:-1]) / 100
    except ValueError:
        return None
