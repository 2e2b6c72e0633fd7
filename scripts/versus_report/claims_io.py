"""Claim rules over the IO scenarios: redis (connections in flight) and mux (descriptors watched).
Same contract as claims.py: each rule takes the cell summary and the environment and returns a
ClaimVerdict quoting the numbers."""

import numpy as np

from . import claims_py
from .claims_base import (APART, ClaimVerdict, _at_one_placement, _groups, _in_order, _no_data, _ok, _placed,
                          by_settings)
from .seeds import SEED_004, seed004_tables, ttl_scan_cells
from .thresholds import (FALLS_BEHIND, FIBER_THREADS_ADD, GROWS, KEEPS_UP, MANY_CONNECTIONS, ONE_THREAD_SHARE,
                         SAME_SPEED, SELECT_LIMIT, SOONER, TENFOLD)

LOOPS = ("select", "poll", "epoll", "io_uring")
SCANNERS = ("select", "poll")       # look at every descriptor on each wait
READY_LISTS = ("epoll", "io_uring")  # hand back only the ready ones


def _with_connections(cells, scenario):
    """Ok cells of redis (connections = workers) or mux (connections = fds), with a `conns` column."""
    df = _ok(cells, scenario)
    if df.empty:
        return df
    return df.assign(conns=df["p_fds"].astype(int) if scenario == "mux" else df["workers"])


def _ms(seconds):
    return "/".join(f"{s:.3g}" for s in seconds)


def _ttl_scan_verdict(tables, keys, names, head, tail):
    """The C5 rule over one pair of columns of seed 004's tables (keys: threads', processes'), or
    None where the pair was not measured at two or more worker counts."""
    tk, pk = keys
    tn, pn = names
    lines, good, labels, whys = [], [], [], []
    for label, rows in tables:
        rows = [r for r in rows if r[f"{tk}_s"] == r[f"{tk}_s"] and r[f"{pk}_s"] == r[f"{pk}_s"]]
        if len(rows) < 2:
            continue
        first, last = rows[0], rows[-1]
        sooner = {k: first[f"{k}_s"] / last[f"{k}_s"] for k in keys}
        time_ratio = last[f"{tk}_s"] / last[f"{pk}_s"]
        lighter = last[f"{tk}_mib"] < last[f"{pk}_mib"]
        why = _why_not_c5(sooner, time_ratio, lighter, keys, names, first["workers"], last["workers"])
        good.append(not why)
        labels.append(label)
        whys.append(why)
        ws = "/".join(str(r["workers"]) for r in rows)
        lines.append(
            f"{label}: at {ws} workers {tn} {_ms(r[f'{tk}_s'] for r in rows)} s, {pn} "
            f"{_ms(r[f'{pk}_s'] for r in rows)} s (speedup from {first['workers']} to {last['workers']} workers: "
            f"{tn} {sooner[tk]:.2f}x, {pn} {sooner[pk]:.2f}x; {tn}/{pn} time {time_ratio:.2f}); "
            f"memory at "
            f"{last['workers']}: {tn} {last[f'{tk}_mib']:.1f} MiB in all, {pn} {last[f'{pk}_mib']:.1f} MiB "
            f"({last[f'{pk}_mib'] / last['workers']:.2f} MiB per process)")
    if not lines:
        return None
    text = head + "; ".join(lines) + (". " + tail if tail else "")
    if all(good):
        return ClaimVerdict("holds", text + ": more workers finish sooner, and threads keep up with processes for far "
                                       "less memory.")
    if not any(good):
        return ClaimVerdict("does not hold", text + ": " + "; ".join(f"{label}: {why}" for label, why in zip(labels, whys))
                       + ".")
    held = [label for label, ok in zip(labels, good) if ok]
    return ClaimVerdict("depends", text + f": it holds with {', '.join(held)} only; without time spent waiting on the "
                                     "server, more workers only share the same CPU.")


def _why_not_c5(sooner, time_ratio, lighter, keys, names, first, last):
    """What part of C5 one table fails, in words; empty where it holds."""
    parts = []
    slow = [n for k, n in zip(keys, names) if sooner[k] < SOONER]
    if slow:
        parts.append(f"{' and '.join(slow)} gain{'s' if len(slow) == 1 else ''} less than {SOONER:g}x from {first} to "
                     f"{last} workers")
    if time_ratio > KEEPS_UP:
        gil = " (one interpreter, one GIL: its threads take turns at the Python between the calls)" \
            if names[0] == "py-thread" else ""
        parts.append(f"{names[0]} takes {time_ratio:.2f}x {names[1]}'s time at {last}{gil}")
    if not lighter:
        parts.append(f"{names[0]} holds no less memory than {names[1]}")
    return ", ".join(parts)


def c5_ttl_scan(cells, env):
    seed = (f"seed 004: threads {'/'.join(str(v) for v in SEED_004['threads_s'].values())} s, processes "
            f"{'/'.join(str(v) for v in SEED_004['processes_s'].values())} s at 8/16/64(/128) workers, threads "
            f"30-50 MB in all, processes about 25 MB each")
    ttl, _ = ttl_scan_cells(cells)

    def verdicts(rd):
        """(C++ verdict, Python verdict) over the ttl_scan cells of one placement; None where neither answers."""
        tables, head = seed004_tables(rd), f"redis ttl_scan at {_placed(rd['p_placement'].iloc[0], ttl, APART)}: "
        cpp = _ttl_scan_verdict(tables, ("threads", "processes"), ("pthread", "fork"), head, seed)
        # The seed's numbers are quoted once, by whichever part comes first.
        py = _ttl_scan_verdict(tables, ("py_threads", "py_processes"), ("py-thread", "py-process"), head,
                               "" if cpp else seed)
        return None if cpp is None and py is None else (cpp, py)
    _, got = _at_one_placement(ttl, APART, verdicts)
    if not got:
        return _no_data("redis op=ttl_scan with pthread and fork, or py-thread and py-process, at two or more "
                        "worker counts (seed 004: 8/16/64/128)")
    none = ClaimVerdict("no data", "")
    cpp, py = got
    return claims_py.combine(cpp or none, py or none, env)


def _loops_vs_threads(df, scenario):
    """[(label, few, few_ratio, few_loop, many, many_ratio, many_loop)]: the fastest event loop's rate
    over pthread's, at the fewest and the most connections both were measured at."""
    out = []
    for label, g in _groups(df, ("p_fds",) if scenario == "mux" else ()):
        threads = g[g["variant"] == "pthread"].set_index("conns")["ops_per_s"]
        loops = g[g["runner"].isin(LOOPS)]
        common = sorted(set(threads.index) & set(loops["conns"]))
        if len(common) < 2:
            continue
        ends = []
        for n in (common[0], common[-1]):
            at = loops[loops["conns"] == n].sort_values("ops_per_s")
            ends += [n, at["ops_per_s"].iloc[-1] / threads[n], at["variant"].iloc[-1]]
        out.append((f"{scenario} {label}", *ends))
    return out


def _per_scenario(cells, scenarios, answer):
    """Each scenario's cells (ok or not) at the first placement, preferring APART, where
    answer(its cells there) gives something: ([what they gave, joined], [where they were compared])."""
    rows, where = [], {}
    for scenario in scenarios:
        df = cells[cells["scenario"] == scenario]
        placement, got = _at_one_placement(df, APART, lambda d, s=scenario: answer(d, s))
        if got:
            rows += got
            where.setdefault(_placed(placement, df, APART), []).append(scenario)
    return rows, [f"{' and '.join(names)} at {placed}" for placed, names in where.items()]


def _loops_vs_threads_here(df, scenario):
    ok = _with_connections(df, scenario)
    return _loops_vs_threads(ok, scenario) if len(ok) else []


def c12_few_connections(cells, env):
    rows, where = _per_scenario(cells, ("redis", "mux"), _loops_vs_threads_here)
    if not rows:
        return _no_data("redis or mux with pthread and an event loop (select, poll, epoll, io_uring) at two or more "
                        "connection counts")
    unit = {"redis": "connection", "mux": "descriptor pair"}
    text = "; ".join(where) + ". Rate of the fastest event loop / pthread's: " + "; ".join(
        f"{label}: {fr:.2f}x at {f} {unit[label.split()[0]]}{'s' if f > 1 else ''} ({fl}), {mr:.2f}x at {m} ({ml})"
        for label, f, fr, fl, m, mr, ml in rows[:8])
    few_ok = [fr <= SAME_SPEED for _, _, fr, *_ in rows]
    many_ok = [mr > SAME_SPEED for *_, mr, _ in rows]
    if all(few_ok) and all(many_ok):
        return ClaimVerdict("holds", text + ": no faster with few connections, ahead with many.")
    if not any(few_ok):
        return ClaimVerdict("does not hold", text + ": event loops are faster even with few connections.")
    return ClaimVerdict("depends", text + f": no faster with few in {sum(few_ok)} of {len(rows)} settings, ahead with many "
                                     f"in {sum(many_ok)}; a thread that waits on its own descriptor still pays a "
                                     "wake-up per event.")


def _scan_growth(mux):
    """([(scans, as claimed)], [text]) over the mux cells of one placement: each runner variant's time
    per event at the most descriptors over the fewest, where they span ten times or more."""
    ok = _with_connections(mux, "mux")
    checks, lines = [], []
    for label, g in _groups(ok, ("p_fds",)) if len(ok) else []:
        parts = []
        for variant in sorted(g.loc[g["runner"].isin(SCANNERS + READY_LISTS), "variant"].unique()):
            v = g[g["variant"] == variant].sort_values("conns")
            if len(v) < 2 or v["conns"].iloc[-1] < TENFOLD * v["conns"].iloc[0]:
                continue
            ns = 1e9 / v["ops_per_s"]
            ratio = ns.iloc[-1] / ns.iloc[0]
            scans = v["runner"].iloc[0] in SCANNERS
            checks.append((scans, ratio >= GROWS if scans else ratio < GROWS))
            parts.append(f"{variant} {ns.iloc[0] / 1e3:.1f} -> {ns.iloc[-1] / 1e3:.1f} µs at {v['conns'].iloc[0]} -> "
                         f"{v['conns'].iloc[-1]} fds ({ratio:.1f}x)")
        if parts:
            lines.append(f"{label}: " + ", ".join(parts))
    return checks, lines


def _scan_growth_of_both_kinds(mux):
    checks, lines = _scan_growth(mux)
    return (mux, checks, lines) if {scans for scans, _ in checks} == {True, False} else None


def c13_scan_cost(cells, env):
    every = cells[cells["scenario"] == "mux"]
    if _with_connections(cells, "mux").empty:
        return _no_data("mux with select or poll and epoll or io_uring at fds from 10 to 1000 or more")
    placement, got = _at_one_placement(every, APART, _scan_growth_of_both_kinds)
    if not got:
        first = _in_order(every, APART)[0]
        have = "; ".join(_scan_growth(every[every["p_placement"] == first])[1]) or "none over a tenfold range of fds"
        return ClaimVerdict("no data", f"time per event at placement={first} of {have}; select or poll, and epoll or "
                                  "io_uring, each at fds spanning ten times or more, would answer")
    mux, checks, lines = got
    select = mux[mux["runner"] == "select"].assign(fds=lambda d: d["p_fds"].astype(int))
    past = select[2 * select["fds"] > SELECT_LIMIT]
    ran_past = past[past["n_ok"] > 0]
    refused = past[(past["n_ok"] == 0) & (past["status"] == "unsupported")]
    limit = ""
    if len(ran_past):
        checks.append((True, False))
        limit = f"; select ran at fds={ran_past['fds'].min()}, past FD_SETSIZE"
    elif len(refused):
        limit = f"; select refused fds={refused['fds'].min()}: {refused['message'].iloc[0]}"
    text = (f"mux at {_placed(placement, every, APART)}, time per event from the fewest to the most descriptors "
            f"(grows: {GROWS}x or more): " + "; ".join(lines[:4]) + limit)
    return by_settings(text, [ok for _, ok in checks],
                       ": select and poll grow with the set, epoll and io_uring stay flat.",
                       lambda passed, settings: f": {passed} of {settings} runner settings behave as claimed.")


def _thread_vs_epoll(df, scenario, all_cells):
    """[(label, conns, time ratio or None when pthread was refused, memory ratio, why refused)] at the
    most connections epoll ran: pthread's time per reply or event over the best epoll's."""
    out = []
    everything = all_cells[all_cells["scenario"] == scenario]
    for label, g in _groups(df, ("p_fds",) if scenario == "mux" else ()):
        epoll = g[g["runner"] == "epoll"]
        if epoll.empty:
            continue
        n = epoll["conns"].max()
        best = epoll[epoll["conns"] == n].sort_values("ops_per_s").iloc[-1]
        threads = g[(g["variant"] == "pthread") & (g["conns"] == n)]
        if len(threads):
            t = threads.iloc[0]
            out.append((f"{scenario} {label}", n, best["ops_per_s"] / t["ops_per_s"],
                        t["pss_bytes"] / best["pss_bytes"], ""))
            continue
        key = "p_fds" if scenario == "mux" else "workers"
        refused = everything[(everything["variant"] == "pthread") & (everything["n_ok"] == 0)
                             & (everything[key].astype(str) == str(n))]
        if len(refused):
            out.append((f"{scenario} {label}", n, None, np.nan, refused["message"].iloc[0]))
    return out


def _thread_vs_epoll_at_many(df, scenario):
    """_thread_vs_epoll over one scenario's cells (ok or not), where some reach MANY_CONNECTIONS."""
    ok = _with_connections(df, scenario)
    rows = _thread_vs_epoll(ok, scenario, df) if len(ok) else []
    return rows if any(n >= MANY_CONNECTIONS for _, n, *_ in rows) else []


def c14_thread_per_connection(cells, env):
    rows, where = _per_scenario(cells, ("mux", "redis"), _thread_vs_epoll_at_many)
    counted = [r for r in rows if r[1] >= MANY_CONNECTIONS]
    if not counted:
        return _no_data(f"mux with pthread and epoll at fds of {MANY_CONNECTIONS} or more, or redis at "
                        f"{MANY_CONNECTIONS}+ workers")

    def say(label, n, time, mem, why):
        if time is None:
            return f"{label} at {n}: pthread not run ({why})"
        return f"{label} at {n}: pthread takes {time:.1f}x epoll's time per event and {mem:.1f}x its memory"
    text = "; ".join(where) + ". Thread per connection against epoll at the most connections measured: " + "; ".join(
        say(*r) for r in rows[:8])
    stops = [time is None or time >= FALLS_BEHIND for _, _, time, _, _ in counted]
    if all(stops):
        return ClaimVerdict("holds", text + ".")
    if not any(stops):
        return ClaimVerdict("does not hold", text + f": at {MANY_CONNECTIONS}+ connections threads stay within "
                                               f"{FALLS_BEHIND:g}x of epoll.")
    return ClaimVerdict("depends", text + f": pthread falls behind ({FALLS_BEHIND:g}x or worse, or cannot run) in "
                                     f"{sum(stops)} of {len(counted)} settings at {MANY_CONNECTIONS}+ connections.")


def redis_fiber_threads(cells):
    """[(text, as claimed)] for C15: redis with fibers on one thread against several, at the same
    settings and workers. While the server holds each reply (delay_us > 0) one thread should be
    enough (concurrency); with no delay, more threads should go faster (parallelism)."""
    rd = _ok(cells, "redis")
    fibers = rd[rd["runner"] == "fiber"] if len(rd) else rd
    placement, out = _at_one_placement(fibers, APART, _one_thread_against_several)
    if not out:
        return []
    where = f"redis at {_placed(placement, fibers, APART)}:"
    return [(f"{where if i == 0 else 'redis'} {text}", claimed) for i, (text, claimed) in enumerate(out)]


def _one_thread_against_several(fibers):
    out = []
    for label, g in _groups(fibers):
        one = g[g["variant"] == "fiber"].set_index("workers")["ops_per_s"]
        many = g[g["variant"].str.startswith("fiber x")]
        common = sorted(set(one.index) & set(many["workers"]))
        if not common:
            continue
        w = common[-1]
        best = many[many["workers"] == w].sort_values("ops_per_s").iloc[-1]
        gain = best["ops_per_s"] / one[w]
        waiting = float(g["p_delay_us"].iloc[0] or 0) > 0 if "p_delay_us" in g else False
        claimed = gain <= 1 / ONE_THREAD_SHARE if waiting else gain >= FIBER_THREADS_ADD
        out.append((f"{label} x{w}: {best['variant']} {gain:.2f}x the replies/s of fibers on one thread "
                    f"({'waiting on the server: one thread suffices' if waiting else 'no wait: threads add'}"
                    f"{'' if claimed else ' not seen'})", claimed))
    return out
