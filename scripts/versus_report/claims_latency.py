"""Claim rules of latency under load. Same contract as claims.py: each takes the cell summary and
the environment and returns a ClaimVerdict quoting the numbers and the cells they come from.

C19, "a closed-loop client hides a server's stalls": a closed-loop connection waiting on a stalled
server sends nothing more until it answers, so only the requests already in flight are late, once
per stall; a client on a schedule keeps sending, and every request due during the stall counts the
wait. The rule reads redis cells against the embedded server (the one that can be told to stall),
and compares, at the same runner, connections and settings: the open loop near half the peak on the
stalling server, the closed loop on the same server, and the closed loop on a server that does not
stall."""

import pandas as pd

from .claims_base import APART, _at_one_placement, _no_data, _ok, _placed, _settings, by_settings
from .data import RATE_PARAM, is_open_loop, share_of_peak
from .thresholds import HALF_LOAD, HIDES_STALL, NEAR_HALF, SHOWS_STALL

STALL_MS, STALL_EVERY_MS = "p_stall_ms", "p_stall_every_ms"
# Set apart by the rule itself rather than grouped on: the loop, the stall, and how arrivals are spaced
# (a closed loop has no schedule to space).
COMPARED = (RATE_PARAM, STALL_MS, STALL_EVERY_MS, "p_arrival")


def c19_closed_loop_hides_stalls(cells, env):
    rd = _stalling_server_cells(cells)
    placement, rows = _at_one_placement(rd, APART, _comparisons)
    if not rows:
        return _no_data("redis on the embedded server at the same runner and workers: stall_ms > 0 with rate=0 and "
                        f"with a rate near {HALF_LOAD:.0%} of the peak, and stall_ms=0 with rate=0")
    text = (f"redis at {_placed(placement, rd, APART)}; the open loop shows a stall when its p99 reaches "
            f"{SHOWS_STALL:g}x the stall, the closed loop hides it while its p99 stays within {HIDES_STALL:g}x that "
            "without stalls: " + "; ".join(line for line, _ in rows[:6]))
    return by_settings(text, [claimed for _, claimed in rows],
                       ". The closed loop's p99 barely moves; the open loop's shows the stall.",
                       lambda held, settings: f": as claimed in {held} of {settings} settings.")


def _stalling_server_cells(cells):
    """Ok redis cells against the embedded server, in results that have the stall and rate parameters."""
    rd = _ok(cells, "redis")
    if rd.empty or STALL_MS not in rd or RATE_PARAM not in rd:
        return rd.iloc[0:0]
    return rd[rd["p_server"].fillna("embedded") == "embedded"] if "p_server" in rd else rd


def _comparisons(rd):
    """[(text, as claimed)]: one per runner variant, connections, setting and stall at which all three
    cells ran."""
    cols = _settings(rd, COMPARED)
    varying = [c for c in cols if rd[c].nunique(dropna=True) > 1]
    out = []
    for key, g in rd.groupby(["variant", "workers"] + cols, dropna=False, sort=False):
        open_loop = g[RATE_PARAM].map(is_open_loop)
        # A cell without the parameter (merged from before it) or with a hand-edited one is no stall.
        stalls = pd.to_numeric(g[STALL_MS], errors="coerce")
        clean = g[(stalls == 0) & ~open_loop]
        if clean.empty:
            continue
        setting = dict(zip(["variant", "workers"] + cols, key))
        label = ", ".join([f"{setting['variant']} x{setting['workers']}"] + [f"{c[2:]}={setting[c]}" for c in varying])
        for (ms, every), stalled in g[stalls > 0].groupby([STALL_MS, STALL_EVERY_MS], sort=False):
            loop = stalled[RATE_PARAM].map(is_open_loop)
            closed = stalled[~loop]
            opened = _near_half(stalled[loop], closed)
            if opened is not None:
                out.append(_compare(label, ms, every, opened, closed.iloc[0], clean.iloc[0]))
    return out


def _near_half(opened, closed):
    """(the open-loop cell whose rate is nearest half the peak, its share), within NEAR_HALF of it;
    None without one. The peak is the closed loop's rate on the same stalling server, as `rate=P%` takes it."""
    if opened.empty or closed.empty:
        return None
    peak = closed.iloc[0]["ops_per_s"]
    best = None
    for cell in opened.itertuples():
        share = share_of_peak(getattr(cell, RATE_PARAM))
        share = share if share is not None else cell.offered_per_s / peak
        if share == share and abs(share - HALF_LOAD) <= NEAR_HALF and (
                best is None or abs(share - HALF_LOAD) < abs(best[1] - HALF_LOAD)):
            best = (cell, share)
    return best


def _compare(label, ms, every, opened, closed, clean):
    cell, share = opened
    stall_us = float(ms) * 1e3
    shows = cell.lat_p99_us >= SHOWS_STALL * stall_us
    ratio = closed["lat_p99_us"] / clean["lat_p99_us"]
    hides = ratio <= HIDES_STALL
    text = (f"{label}, a {ms} ms stall every {every} ms: open loop at {share:.0%} of the peak "
            f"({cell.offered_per_s:,.0f}/s offered, {cell.ops_per_s:,.0f}/s achieved) "
            f"p99 {cell.lat_p99_us / 1e3:.2f} ms "
            f"({'shows' if shows else 'does not show'} the stall); closed loop p99 {closed['lat_p99_us']:,.0f} µs "
            f"against {clean['lat_p99_us']:,.0f} µs without stalls ({ratio:.2f}x: "
            f"{'hidden' if hides else 'seen'}) [cells {cell.cell}; {closed['cell']}; {clean['cell']}]")
    return text, shows and hides
