"""Plots of the IO scenarios: redis (connections in flight, per runner) and mux (descriptors
watched, few active). Same contract as plots.py: each takes the cell summary and the environment
and returns [(name, title, figure)]."""

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.lines  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import matplotlib.transforms  # noqa: E402
import numpy as np  # noqa: E402

from .plot_style import (RUNNER_COLOURS, _per_op, _varying, _where, colour, legend, marker,  # noqa: E402
                         placement_title, placements, series)
from .seeds import SEED_004, ttl_scan_cells  # noqa: E402

# The settings that change what a redis or mux line means: one panel for each combination (those
# of ALSO where they vary; a panel never mixes placements).
REDIS_PANEL = ["p_op", "p_delay_us", "p_pipeline"]
REDIS_ALSO = ["p_keys", "p_requests", "p_value_size", "p_scan_count", "p_server", "p_placement"]
MUX_PANEL = ["p_active", "p_chain"]
MUX_ALSO = ["p_pair", "p_rounds", "p_placement"]


def _ok(cells, scenario):
    return cells[(cells["scenario"] == scenario) & (cells["n_ok"] > 0)]


def _variants(df):
    """Variants in a steady order (the runners as RUNNER_COLOURS lists them), so legends agree."""
    order = list(RUNNER_COLOURS)

    def key(v):
        base = v.split(" ")[0]
        return (order.index(base) if base in order else len(order), v)
    return sorted(df["variant"].unique(), key=key)


def _style(variant):
    # A variant of a runner (edge-triggered, several threads) is dashed in a darker shade.
    return {"color": colour(variant), "linestyle": "-" if variant in RUNNER_COLOURS else "--"}


def _panel_groups(df, always, also):
    """[(label, rows)] by the panel settings present, plus any other setting that varies."""
    cols = [c for c in always if c in df] + _varying(df, [c for c in also if c in df])
    if not cols:
        return [("", df)]
    out = []
    for key, g in df.groupby(cols if len(cols) > 1 else cols[0], dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{c[2:]}={v}" for c, v in zip(cols, key) if isinstance(v, str)), g))

    def order(item):
        # Numbers sort as numbers: delay_us=1000 after delay_us=100.
        return [(0, float(x.split("=")[1])) if x.split("=")[1].replace(".", "").isdigit() else (1, x)
                for x in item[0].split(", ")] if item[0] else []
    return sorted(out, key=order)


def _grid(n, width=4.6, height=3.5):
    ncols = min(3, n)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols + 1.2, height * nrows + 0.9), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _log_axis(ax, values, axis="x"):
    """Log scale with the measured values as ticks (x), written as plain numbers."""
    if axis == "x":
        values = sorted({int(v) for v in values})
        ax.set_xscale("log")
        ax.set_xticks(values)
        ax.set_xticklabels([f"{v:,}" for v in values], fontsize=8)
        ax.xaxis.set_minor_locator(plt.NullLocator())
    else:
        # Within a decade or two a tick at 1, 2 and 5 of each keeps the axis readable.
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_plain))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _plain(value, _=None):
    """A tick as a plain number: whole from 100 on or where it is whole, else as many digits as it
    has, so that ticks at 3.5, 4 and 4.5 do not all read 4."""
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:g}"


def _spans_decades(values):
    values = np.asarray([v for v in values if v == v and v > 0])
    return len(values) > 1 and values.max() / values.min() > 20


def _line(ax, x, y, lo, hi, variant, **kw):
    style = _style(variant)
    style.update(kw)
    ax.errorbar(x, y, yerr=[np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)], marker="o", markersize=4,
                capsize=2, label=variant, **style)


def _legend_below(fig, axes, df, extra=(), title=None):
    """One legend for every panel, titled with the placement (or saying each panel's title has it),
    unless given another title."""
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    for h, lab in extra:
        handles[lab] = h
        labels.append(lab)
    title = title or (placement_title(df) if len(placements(df)) == 1 else "placement: in each panel's title")
    # As many columns as the figure's width holds: long labels (a runner and its settings) in six
    # columns would run off both sides.
    renderer = fig.canvas.get_renderer()
    for ncol in range(min(6, len(labels)), 0, -1):
        shown = fig.legend([handles[lab] for lab in labels], labels, loc="lower center", ncol=ncol, fontsize=8,
                           frameon=False, title=title, title_fontsize=8)
        if ncol == 1 or shown.get_window_extent(renderer).width <= fig.bbox.width * 0.98:
            break
        shown.remove()
    return 1 + -(-len(labels) // ncol)  # the title's row and the labels'


def _finish(fig, title, env, legend_rows):
    """The title, and the panels above the legend's `legend_rows` rows (what _legend_below returned)."""
    fig.suptitle(f"{title}\n{_where(env)}", fontsize=10)
    fig.tight_layout(rect=(0, min(0.5, 0.02 + 0.035 * legend_rows), 1, 1))


def _label(ax, title, xlabel, ylabel):
    """One panel's title (wrapped: with several settings varying it outgrows the panel), axis labels
    and grid, the same on every IO plot."""
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")


def redis_throughput(cells, env):
    """Replies per second against connections in flight, a line per runner, a panel per setting."""
    rd = _ok(cells, "redis")
    if rd.empty:
        return []
    groups = _panel_groups(rd, REDIS_PANEL, REDIS_ALSO)
    fig, axes = _grid(len(groups))
    for ax, (label, g) in zip(axes, groups):
        for variant in _variants(g):
            v = g[g["variant"] == variant].sort_values("workers")
            _line(ax, v["workers"], v["ops_per_s"], v["ops_per_s_q1"], v["ops_per_s_q3"], variant)
        _log_axis(ax, g["workers"])
        if _spans_decades(g["ops_per_s"]):
            _log_axis(ax, None, "y")
        _label(ax, label, "connections in flight (workers)", "replies per second")
    rows = _legend_below(fig, axes, rd)
    _finish(fig, "redis: replies per second vs connections, per runner", env, rows)
    return [("redis_throughput", "redis replies per second vs connections", fig)]


def redis_latency(cells, env):
    """Median and 99th-percentile time of one request against connections in flight."""
    rd = _ok(cells, "redis")
    rd = rd[rd["lat_p50_us"].notna()] if not rd.empty else rd
    if rd.empty:
        return []
    groups = _panel_groups(rd, REDIS_PANEL, REDIS_ALSO)
    fig, axes = _grid(len(groups))
    for ax, (label, g) in zip(axes, groups):
        for variant in _variants(g):
            v = g[g["variant"] == variant].sort_values("workers")
            ax.plot(v["workers"], v["lat_p50_us"], marker="o", markersize=4, label=variant, **_style(variant))
            ax.plot(v["workers"], v["lat_p99_us"], marker="v", markersize=4, alpha=0.8, color=colour(variant),
                    linestyle=":")
        _log_axis(ax, g["workers"])
        _log_axis(ax, None, "y")
        _label(ax, label, "connections in flight (workers)", "time of one request (µs)")
    keys = [(matplotlib.lines.Line2D([], [], color="k", marker="o", markersize=4), "p50 (solid; dashed: variant)"),
            (matplotlib.lines.Line2D([], [], color="k", marker="v", markersize=4, linestyle=":"), "p99 (dotted)")]
    rows = _legend_below(fig, axes, rd, keys)
    _finish(fig, "redis: request latency, median and 99th percentile, vs connections", env, rows)
    return [("redis_latency", "redis request latency vs connections", fig)]


def redis_memory(cells, env):
    """PSS of the cell in all and per connection: a process per connection against a thread, a
    fiber, or a state machine on an event loop. One line per runner, median over each op's settings."""
    rd = _ok(cells, "redis")
    rd = rd[rd["pss_bytes"].notna()] if not rd.empty else rd
    if rd.empty:
        return []
    rd = rd.assign(op=rd["p_op"] if "p_op" in rd else "")
    ops = sorted(rd["op"].unique())
    fig, axes = _grid(2 * len(ops), width=4.4)
    for i, op in enumerate(ops):
        g = rd[rd["op"] == op]
        total_ax, per_ax = axes[2 * i], axes[2 * i + 1]
        for label, variant, placement, cells_of in series(g, _variants(g)):
            v = cells_of.groupby("workers")["pss_bytes"].median()
            total_ax.plot(v.index, v / 2**20, marker=marker(placement), markersize=4, label=label, **_style(variant))
            per_ax.plot(v.index, v / v.index / 2**10, marker=marker(placement), markersize=4, label=label,
                        **_style(variant))
        for ax in (total_ax, per_ax):
            _log_axis(ax, g["workers"])
            _log_axis(ax, None, "y")
            ax.set_xlabel("connections in flight (workers)")
            ax.grid(alpha=0.3, which="both")
        total_ax.set_ylabel("PSS of the cell in all (MiB)")
        per_ax.set_ylabel("PSS per connection (KiB)")
        total_ax.set_title(f"op={op}: in all", fontsize=9)
        per_ax.set_title(f"op={op}: per connection", fontsize=9)
    rows = _legend_below(fig, axes, rd)
    _finish(fig, "redis: memory (PSS, shared pages divided among sharers) vs connections", env, rows)
    return [("redis_memory", "redis memory vs connections", fig)]


def redis_ttl_scan(cells, env):
    """Seed 004's experiment: the TTL scan's time and memory at 8 to 128 workers, threads against
    processes, and the shape of the seed's own times beside this run's."""
    rd, split = ttl_scan_cells(cells)
    if rd.empty:
        return []
    figs = []
    for label, g in _panel_groups(rd, [], list(dict.fromkeys(split + ["p_delay_us"]))):
        fig, (time_ax, shape_ax, mem_ax) = plt.subplots(1, 3, figsize=(15, 4.4))
        variants = _variants(g)
        for variant in variants:
            v = g[g["variant"] == variant].sort_values("workers")
            _line(time_ax, v["workers"], v["wall_s"], v["wall_s_q1"], v["wall_s_q3"], variant)
            mem_ax.plot(v["workers"], v["pss_bytes"] / 2**20, marker="o", markersize=4, label=variant, **_style(variant))
            if variant in ("pthread", "fork", "py-thread", "py-process"):
                base = v["wall_s"].iloc[0]
                shape_ax.plot(v["workers"], v["wall_s"] / base, marker="o", markersize=4,
                              label=f"{variant}, here", **_style(variant))
        for name, variant in (("threads", "pthread"), ("processes", "fork")):
            seed = SEED_004[f"{name}_s"]
            w = sorted(seed)
            shape_ax.plot(w, [seed[x] / seed[w[0]] for x in w], marker="s", markersize=4, color=colour(variant),
                          alpha=0.45, linewidth=3, label=f"{name}, seed 004")
        w = np.array(sorted(set(g["workers"]) | set(SEED_004["workers"])))
        lo, hi = SEED_004["threads_mb_in_all"]
        mem_ax.fill_between(w, lo, hi, color=colour("pthread"), alpha=0.15, label="threads, seed 004 (MB)")
        mem_ax.plot(w, SEED_004["process_mb_each"] * w, color=colour("fork"), alpha=0.45, linewidth=3,
                    label="processes, seed 004 (25 MB each)")
        for ax in (time_ax, shape_ax, mem_ax):
            _log_axis(ax, w)
            _log_axis(ax, None, "y")
            ax.set_xlabel("workers")
            ax.grid(alpha=0.3, which="both")
        time_ax.set_ylabel("time to scan every key (s)")
        time_ax.set_title("time, here", fontsize=9)
        shape_ax.set_ylabel("time / time at the fewest workers")
        shape_ax.set_title("shape: here against seed 004 (Python, 235,073 keys)", fontsize=9)
        mem_ax.set_ylabel("memory in all (MiB; seed in MB)")
        mem_ax.set_title("PSS of every process of the cell", fontsize=9)
        for ax in (time_ax, shape_ax, mem_ax):
            legend(ax, g, fontsize=7)
        fig.suptitle(f"redis ttl_scan ({label or 'defaults'}): threads vs processes, as in seed 004\n{_where(env)}",
                     fontsize=10)
        fig.tight_layout()
        suffix = "_".join(part.split("=")[1] for part in label.split(", ")) if label else ""
        figs.append(("redis_ttl_scan" + (f"_{suffix}" if suffix else ""), f"redis ttl_scan ({label or 'defaults'})",
                     fig))
    return figs


def _fds(df):
    return df.assign(fds=df["p_fds"].astype(int))


def _not_ok_marks(ax, bad, variants_shown):
    """An x at the bottom of the panel where a variant's cell did not run (past FD_SETSIZE, the thread
    limit): the table below the plots says why."""
    trans = matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for i, variant in enumerate(variants_shown):
        b = bad[bad["variant"] == variant]
        if len(b):
            ax.scatter(b["fds"], np.full(len(b), 0.04 + 0.035 * i), marker="x", s=30, color=colour(variant),
                       transform=trans, clip_on=False, label=f"{variant}: not run (x)")


def mux_event_cost(cells, env):
    """Time per event against descriptors watched: a readiness scan grows with the set, a ready
    list does not. One panel per (active, chain)."""
    mux = cells[cells["scenario"] == "mux"]
    ok = mux[mux["n_ok"] > 0]
    if ok.empty:
        return []
    ok, bad = _fds(_per_op(ok, 1e9)), _fds(mux[mux["n_ok"] == 0])
    groups = _panel_groups(ok, MUX_PANEL, MUX_ALSO)
    fig, axes = _grid(len(groups))
    for ax, (label, g) in zip(axes, groups):
        variants = _variants(g)
        for variant in variants:
            v = g[g["variant"] == variant].sort_values("fds")
            _line(ax, v["fds"], v["per_op"], v["per_op_q1"], v["per_op_q3"], variant)
        same = bad
        for col in MUX_PANEL + ["p_placement"]:
            if col in g and col in bad:
                same = same[same[col] == g[col].iloc[0]]
        same = same[same["variant"].isin(variants) | same["variant"].isin(["select", "poll"])]
        if len(same):
            _not_ok_marks(ax, same, list(dict.fromkeys(variants + _variants(same))))
        _log_axis(ax, set(g["fds"]) | set(same["fds"]))
        _log_axis(ax, None, "y")
        _label(ax, label, "descriptor pairs watched (fds)", "time per event (ns)")
    rows = _legend_below(fig, axes, ok)
    _finish(fig, "mux: time per event vs descriptors watched, per runner", env, rows)
    return [("mux_event_cost", "mux time per event vs descriptors", fig)]


def _by_fds(ok, value):
    """[(label, variant, placement, Series fds -> median of value over the other settings)]: a line
    per variant and placement."""
    out = []
    for label, variant, placement, v in series(ok[ok[value].notna()], _variants(ok)):
        out.append((label, variant, placement, v.groupby("fds")[value].median()))
    return out


def mux_setup(cells, env):
    """Time to get ready before the first round: registering each descriptor, or a thread or fiber
    made for each."""
    ok = _ok(cells, "mux")
    ok = _fds(ok[ok["setup_s"].notna()]) if not ok.empty else ok
    if ok.empty:
        return []
    fig, (total_ax, per_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, variant, placement, s in _by_fds(ok, "setup_s"):
        total_ax.plot(s.index, s * 1e3, marker=marker(placement), markersize=4, label=label, **_style(variant))
        per_ax.plot(s.index, s / s.index * 1e6, marker=marker(placement), markersize=4, label=label, **_style(variant))
    for ax in (total_ax, per_ax):
        _log_axis(ax, ok["fds"])
        _log_axis(ax, None, "y")
        ax.set_xlabel("descriptor pairs watched (fds)")
        ax.grid(alpha=0.3, which="both")
    total_ax.set_ylabel("set-up before the first round (ms)")
    per_ax.set_ylabel("set-up per descriptor (µs)")
    legend(total_ax, ok)
    fig.suptitle(f"mux: set-up (registering descriptors, or a thread or fiber each) vs descriptors\n{_where(env)}",
                 fontsize=10)
    fig.tight_layout()
    return [("mux_setup", "mux set-up vs descriptors", fig)]


def mux_memory(cells, env):
    """PSS of the cell against descriptors: a stack per thread or fiber shows here."""
    ok = _ok(cells, "mux")
    ok = _fds(ok[ok["pss_bytes"].notna()]) if not ok.empty else ok
    if ok.empty:
        return []
    fig, (total_ax, per_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, variant, placement, s in _by_fds(ok, "pss_bytes"):
        total_ax.plot(s.index, s / 2**20, marker=marker(placement), markersize=4, label=label, **_style(variant))
        per_ax.plot(s.index, s / s.index / 2**10, marker=marker(placement), markersize=4, label=label,
                    **_style(variant))
    for ax in (total_ax, per_ax):
        _log_axis(ax, ok["fds"])
        _log_axis(ax, None, "y")
        ax.set_xlabel("descriptor pairs watched (fds)")
        ax.grid(alpha=0.3, which="both")
    total_ax.set_ylabel("PSS of the cell (MiB)")
    per_ax.set_ylabel("PSS per descriptor pair (KiB)")
    legend(total_ax, ok)
    fig.suptitle(f"mux: memory (PSS) vs descriptors, median over active and chain\n{_where(env)}", fontsize=10)
    fig.tight_layout()
    return [("mux_memory", "mux memory vs descriptors", fig)]


def mux_syscalls(cells, env):
    """The runner's own system calls per round: a wait per event, or one wait for many."""
    ok = _ok(cells, "mux")
    if ok.empty or "p_rounds" not in ok:
        return []
    ok = ok[ok["syscalls"].notna()]
    if ok.empty:
        return []
    ok = _fds(ok).assign(per_round=lambda d: d["syscalls"] / d["p_rounds"].astype(float))
    groups = _panel_groups(ok, MUX_PANEL, MUX_ALSO)
    fig, axes = _grid(len(groups))
    for ax, (label, g) in zip(axes, groups):
        for variant in _variants(g):
            v = g[g["variant"] == variant].sort_values("fds")
            ax.plot(v["fds"], v["per_round"], marker="o", markersize=4, label=variant, **_style(variant))
        _log_axis(ax, g["fds"])
        if _spans_decades(g["per_round"]):
            _log_axis(ax, None, "y")
        _label(ax, label, "descriptor pairs watched (fds)", "system calls per round")
    rows = _legend_below(fig, axes, ok)
    _finish(fig, "mux: the runner's system calls per round vs descriptors", env, rows)
    return [("mux_syscalls", "mux system calls per round", fig)]


PLOTS_IO = [redis_throughput, redis_latency, redis_memory, redis_ttl_scan, mux_event_cost, mux_setup, mux_memory,
            mux_syscalls]
