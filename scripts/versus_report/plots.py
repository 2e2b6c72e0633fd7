"""One function per kind of plot. Each takes a run's cell summary (data.summarise) and returns a
list of (name, title, figure); images() draws them as SVG and PNG."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .plot_style import (_per_op, _plain_numbers, _varying, _where, colour, hatch, legend, marker,  # noqa: E402
                         placements, series)
from .claims_base import _groups  # noqa: E402
from .plots_io import PLOTS_IO  # noqa: E402
from .plots_latency import PLOTS_LATENCY  # noqa: E402

# Every figure is drawn before any is written (images()), so a report holds more than pyplot's
# default of 20 open at once by design.
plt.rcParams["figure.max_open_warning"] = 0


def _group_label(params, skip):
    kv = [(k[2:], v) for k, v in params.items() if k.startswith("p_") and k[2:] not in skip and v is not None]
    return ", ".join(f"{k}={v}" for k, v in kv)


def cpu_speedup(cells, env):
    """Speedup over serial with one worker (the Python runners: over py-thread with one), and
    parallel efficiency, against workers."""
    figs = []
    cpu = cells[(cells["scenario"] == "cpu") & (cells["n_ok"] > 0)]
    if cpu.empty:
        return figs
    # A figure per placement too: a speedup is over serial with one worker at the same placement.
    group_cols = _varying(cpu, ["p_kernel", "p_split", "p_count", "p_start", "p_array_bytes", "p_passes", "p_chunk",
                                "p_placement"])
    if len(group_cols) > 1:
        groups = cpu.groupby(group_cols, dropna=False)
    elif group_cols:
        groups = (((k,), g) for k, g in cpu.groupby(group_cols[0], dropna=False))
    else:
        groups = [((), cpu)]
    # The Python runners do other work per prime than the C++ runners: each kind has its own
    # figure and its own reference with one worker.
    for (key, whole), python in ((kg, py) for kg in groups for py in (False, True)):
        g = whole[whole["runner"].str.startswith("py-") == python]
        candidates = ("py-thread", "py-process") if python else ("serial",)
        reference = next((r for r in candidates if ((g["variant"] == r) & (g["workers"] == 1)).any()), None)
        if reference is None:
            continue
        base = g[(g["variant"] == reference) & (g["workers"] == 1)]["wall_s"].iloc[0]
        label = ", ".join([f"{c[2:]}={v}" for c, v in zip(group_cols, key)] + (["Python"] if python else []))
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
        for variant, v in g.groupby("variant"):
            v = v.sort_values("workers")
            s = base / v["wall_s"]
            # The spread of the repetitions: faster quartile gives the higher speedup.
            lo, hi = base / v["wall_s_q3"], base / v["wall_s_q1"]
            ax1.errorbar(v["workers"], s, yerr=[s - lo, hi - s], marker="o", capsize=3, color=colour(variant), label=variant)
            ax2.plot(v["workers"], 100 * s / v["workers"], marker="o", color=colour(variant), label=variant)
        w = np.array(sorted(g["workers"].unique()))
        cores = int(env.get("logical_cores") or 0)
        ax1.plot(w, np.minimum(w, cores) if cores else w, "k--", linewidth=1, label="ideal")
        for ax in (ax1, ax2):
            ax.set_xscale("log", base=2)
            ax.set_xticks(w)
            ax.set_xticklabels([str(x) for x in w])
            ax.set_xlabel("workers")
            if cores:
                ax.axvline(cores, color="#999", linestyle=":", linewidth=1)
                ax.text(cores, ax.get_ylim()[1], f" {cores} cores", va="top", fontsize=8, color="#666")
            ax.grid(alpha=0.3)
        ax1.set_ylabel(f"speedup over {reference}, 1 worker (x)")
        ax2.set_ylabel("parallel efficiency (%)")
        legend(ax1, g)
        fig.suptitle(f"cpu: speedup and efficiency vs workers ({label or 'defaults'})\n{_where(env)}", fontsize=10)
        fig.tight_layout()
        name = "_".join(["cpu_speedup"] + [str(k) for k in key] + (["python"] if python else []))
        figs.append((name, f"cpu speedup ({label or 'defaults'})", fig))
    return figs


def _size_text(v):
    v = int(round(v))
    for unit, shift in (("M", 20), ("K", 10)):
        if v >= 1 << shift and v % (1 << shift) == 0:
            return f"{v >> shift}{unit}"
    return str(v)


def ipc_throughput(cells, env):
    """Bytes per second against message size, one panel per channel, a line per runner (bars
    per channel when the run has a single message size)."""
    ipc = cells[(cells["scenario"] == "ipc") & (cells["n_ok"] > 0) & (cells.get("p_mode") == "throughput")]
    if ipc.empty:
        return []
    if ipc["p_msg_size"].nunique() == 1:
        return [_ipc_throughput_bars(ipc, env)]
    channels = sorted(ipc["p_channel"].unique())
    ncols = min(3, len(channels))
    nrows = (len(channels) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols + 1, 3.3 * nrows + 0.6), sharex=True, sharey=True,
                             squeeze=False)
    for ax in axes.flat[len(channels):]:
        ax.set_visible(False)
    for ax, ch in zip(axes.flat, channels):
        g = ipc[ipc["p_channel"] == ch]
        for label, variant, placement, cells_of in series(g):
            for workers, v in cells_of.groupby("workers"):
                v = v.assign(size=v["p_msg_size"].astype(int)).sort_values("size")
                y = v["bytes_per_s"] / 1e9
                yerr = [y - v["bytes_per_s_q1"] / 1e9, v["bytes_per_s_q3"] / 1e9 - y]
                ax.errorbar(v["size"], y, yerr=yerr, marker=marker(placement), capsize=2, color=colour(variant),
                            label=f"{label} x{workers}" if g["workers"].nunique() > 1 else label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(ch, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        _plain_numbers(ax.yaxis)
    axes.flat[0].xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _size_text(v)))
    for ax in axes[-1]:
        ax.set_xlabel("message size (bytes)")
    for ax in axes[:, 0]:
        ax.set_ylabel("throughput (GB/s)")
    legend(axes.flat[0], ipc)
    fig.suptitle(f"ipc throughput: bytes per second vs message size, per channel and peer model\n{_where(env)}", fontsize=10)
    fig.tight_layout()
    return [("ipc_throughput", "ipc throughput vs message size", fig)]


def _ipc_throughput_bars(ipc, env):
    size = ipc["p_msg_size"].iloc[0]
    channels = sorted(ipc["p_channel"].unique())
    bars = series(ipc)
    fig, ax = plt.subplots(figsize=(1.2 * len(channels) * max(1, len(bars)) / 2 + 4, 3.8))
    width = 0.8 / max(1, len(bars))
    x = np.arange(len(channels))
    for i, (label, variant, placement, v) in enumerate(bars):
        v = v[v["workers"] == ipc["workers"].min()].set_index("p_channel").reindex(channels)
        y = v["bytes_per_s"] / 1e9
        ax.bar(x + i * width, y, width, color=colour(variant), hatch=hatch(placement), label=label,
               yerr=[y - v["bytes_per_s_q1"] / 1e9, v["bytes_per_s_q3"] / 1e9 - y], capsize=3)
    ax.set_xticks(x + width * (len(bars) - 1) / 2)
    ax.set_xticklabels(channels)
    ax.set_ylabel("throughput (GB/s)")
    ax.grid(alpha=0.3, axis="y")
    legend(ax, ipc)
    ax.set_title(f"ipc throughput, {size}-byte messages, per channel and peer model\n{_where(env)}", fontsize=10)
    fig.tight_layout()
    return ("ipc_throughput", f"ipc throughput, {size} B messages", fig)


def ipc_latency(cells, env):
    """Round-trip latency percentiles per channel, runner and placement, one figure per message
    size: one CPU (same) beside two cores (spread) is C18's question."""
    ipc = cells[(cells["scenario"] == "ipc") & (cells["n_ok"] > 0) & (cells.get("p_mode") == "pingpong")]
    figs = []
    if ipc.empty:
        return figs
    for size, g in ipc.groupby("p_msg_size"):
        channels = sorted(g["p_channel"].unique())
        bars = series(g)
        fig, ax = plt.subplots(figsize=(1.6 * len(channels) * max(1, len(bars)) / 2 + 3, 3.8))
        width = 0.8 / max(1, len(bars))
        x = np.arange(len(channels))
        for i, (label, variant, placement, v) in enumerate(bars):
            v = v[v["workers"] == g["workers"].min()].set_index("p_channel").reindex(channels)
            ax.bar(x + i * width, v["lat_p50_us"], width, color=colour(variant), hatch=hatch(placement),
                   label=f"{label} p50",
                   yerr=[v["lat_p50_us"] - v["lat_p50_us_q1"], v["lat_p50_us_q3"] - v["lat_p50_us"]], capsize=3)
            ax.scatter(x + i * width, v["lat_p99_us"], marker="_", s=200, color="k", zorder=3,
                       label="p99" if i == 0 else None)
        ax.set_xticks(x + width * (len(bars) - 1) / 2)
        ax.set_xticklabels(channels)
        ax.set_yscale("log")
        _plain_numbers(ax.yaxis)
        ax.set_ylabel("round trip (µs)")
        ax.grid(alpha=0.3, axis="y", which="both")
        legend(ax, g, ncol=1 if len(placements(g)) > 1 else 2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title(f"ipc round-trip latency, {size}-byte messages: p50 bars (spread over repetitions), p99 ticks\n"
                     f"{_where(env)}", fontsize=10)
        fig.tight_layout()
        figs.append((f"ipc_latency_{size}", f"ipc latency, {size} B", fig))
    return figs


def _bars(ax, groups, df, index, value, low, high, scale=1.0):
    """Clustered bars: one cluster per group label (df's `index` column), one bar per variant and
    placement, spread as error bars; the legend titled with the placement."""
    bars = series(df)
    width = 0.8 / max(1, len(bars))
    x = np.arange(len(groups))
    for i, (label, variant, placement, rows) in enumerate(bars):
        rows = rows.set_index(index).reindex(groups)
        y = rows[value] * scale
        ax.bar(x + i * width, y, width, color=colour(variant), hatch=hatch(placement), label=label,
               yerr=[(y - rows[low] * scale).clip(lower=0), (rows[high] * scale - y).clip(lower=0)], capsize=3)
    ax.set_xticks(x + width * (len(bars) - 1) / 2)
    ax.set_xticklabels(groups)
    ax.grid(alpha=0.3, axis="y")


def _live_worker_slopes(alive):
    """One row per setting, runner variant and placement that ran at two live-worker counts or more:
    `pss_w`, the MiB of PSS one more live worker adds, the slope between the fewest and the most."""
    rows = []
    for setting, g in _groups(alive):
        for (variant, placement), v in g.groupby(["variant", "p_placement"]):
            by = v.groupby("workers")["pss_bytes"].median()
            if len(by) >= 2:
                lo, hi = int(by.index.min()), int(by.index.max())
                rows.append({"group": f"{setting}, {lo} to {hi} workers", "variant": variant, "p_placement": placement,
                             "pss_w": (by[hi] - by[lo]) / (hi - lo) / 2**20})
    return pd.DataFrame(rows, columns=["group", "variant", "p_placement", "pss_w"])


def spawn_cost(cells, env):
    """µs to create, run and reap one worker; memory per live worker."""
    sp = cells[(cells["scenario"] == "spawn") & (cells["n_ok"] > 0)]
    figs = []
    if sp.empty:
        return figs
    create = _per_op(sp[sp.get("p_mode") == "create"], 1e6) if "p_mode" in sp else sp.iloc[0:0]
    for heap, g in create.groupby("p_parent_heap_mb"):
        groups = [str(w) for w in sorted(g["workers"].unique())]
        fig, ax = plt.subplots(figsize=(8, 4))
        _bars(ax, groups, g.assign(w=g["workers"].astype(str)), "w", "per_op", "per_op_q1", "per_op_q3")
        ax.set_yscale("log")
        _plain_numbers(ax.yaxis)
        ax.set_xlabel("workers made at once")
        ax.set_ylabel("µs per worker created, run and reaped")
        legend(ax, g)
        ax.set_title(f"spawn: cost of one worker (parent heap {heap} MiB)\n{_where(env)}", fontsize=10)
        fig.tight_layout()
        figs.append((f"spawn_create_{heap}", f"spawn cost, parent heap {heap} MiB", fig))
    alive = sp[sp.get("p_mode") == "alive"] if "p_mode" in sp else sp.iloc[0:0]
    if not alive.empty:
        slopes = _live_worker_slopes(alive)
        fig, ax = plt.subplots(figsize=(8, 4))
        if not slopes.empty:
            # What one more live worker adds: dividing the whole cell by its workers would share out
            # what is there once (the interpreter, the parent) and call it per worker.
            groups = list(dict.fromkeys(slopes["group"]))
            _bars(ax, groups, slopes, "group", "pss_w", "pss_w", "pss_w")
            ax.set_ylabel("MiB of PSS one more live worker adds")
            what = "memory one more live worker adds (PSS slope between the fewest and the most)"
            legend(ax, slopes)
        else:
            alive = alive.assign(pss_w=alive["pss_bytes"] / alive["workers"] / 2**20,
                                 pss_w_q1=alive["pss_bytes_q1"] / alive["workers"] / 2**20,
                                 pss_w_q3=alive["pss_bytes_q3"] / alive["workers"] / 2**20,
                                 group=[f"{w} workers, heap {h} MiB"
                                        for w, h in zip(alive["workers"], alive["p_parent_heap_mb"])])
            groups = list(dict.fromkeys(alive["group"]))
            _bars(ax, groups, alive, "group", "pss_w", "pss_w_q1", "pss_w_q3")
            ax.set_ylabel("PSS per live worker (MiB): the whole cell / its workers")
            what = "memory per live worker (one worker count each: the whole cell shared out)"
            legend(ax, alive)
        ax.set_title(f"spawn: {what}\n{_where(env)}", fontsize=10)
        fig.tight_layout()
        figs.append(("spawn_alive", "memory per live worker", fig))
    return figs


def switch_cost(cells, env):
    """ns per hand-over, per wake-up mechanism and runner; one figure per placement and waiting."""
    sw = _per_op(cells[(cells["scenario"] == "switch") & (cells["n_ok"] > 0)], 1e9)
    figs = []
    if sw.empty:
        return figs
    # Results from before placement pinned with the scenario's own `pin` (none, same, different).
    where = "p_pin" if "p_pin" in sw and sw["p_pin"].notna().any() else "p_placement"
    for (at, wait), g in sw.groupby([where, "p_wait"]):
        g = g[g["workers"] == g["workers"].min()]
        groups = sorted(g["p_via"].unique())
        fig, ax = plt.subplots(figsize=(8, 4))
        _bars(ax, groups, g, "p_via", "per_op", "per_op_q1", "per_op_q3")
        ax.set_yscale("log")
        _plain_numbers(ax.yaxis)
        ax.set_xlabel("what wakes the other side (fibers always yield)")
        ax.set_ylabel("ns per hand-over")
        legend(ax, g)
        setting = f"{where[2:]}={at}, wait={wait}"
        ax.set_title(f"switch: one hand-over between two workers ({setting})\n{_where(env)}", fontsize=10)
        fig.tight_layout()
        figs.append((f"switch_{at}_{wait}", f"switch cost, {setting}", fig))
    return figs


def sync_throughput(cells, env):
    """Increments per second per primitive; the lost updates of `none` written on its bar."""
    sy = cells[(cells["scenario"] == "sync") & (cells["n_ok"] > 0)]
    if sy.empty or "p_mode" not in sy:
        return []
    counter = sy[sy["p_mode"] == "counter"]
    figs = []
    for workers, g in counter.groupby("workers"):
        groups = [p for p in ("none", "atomic", "spinlock", "mutex", "rwlock", "semaphore") if p in set(g["p_primitive"])]
        fig, ax = plt.subplots(figsize=(8, 4))
        _bars(ax, groups, g, "p_primitive", "ops_per_s", "ops_per_s_q1", "ops_per_s_q3", 1e-6)
        ax.set_ylabel("million increments per second")
        ax.set_xlabel("what guards the shared counter")
        legend(ax, g)
        ax.set_title(f"sync: {workers} workers incrementing one counter\n{_where(env)}", fontsize=10)
        fig.tight_layout()
        figs.append((f"sync_counter_{workers}", f"sync counter, {workers} workers", fig))
    return figs


def generic(cells, env):
    """Any scenario without its own plot: median wall time per cell, with the spread."""
    figs = []
    known = {"cpu", "ipc", "spawn", "switch", "sync", "redis", "mux"}
    for scenario, g in cells[(~cells["scenario"].isin(known)) & (cells["n_ok"] > 0)].groupby("scenario"):
        g = g.head(40)
        fig, ax = plt.subplots(figsize=(8, 0.3 * len(g) + 1.5))
        y = np.arange(len(g))
        ms = g["wall_s"] * 1e3
        ax.barh(y, ms, xerr=[ms - g["wall_s_q1"] * 1e3, g["wall_s_q3"] * 1e3 - ms],
                color=[colour(v) for v in g["variant"]])
        ax.set_yticks(y)
        labels = [f"{r} x{w}, placement={p}" for r, w, p in zip(g["variant"], g["workers"], g["p_placement"])]
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_xlabel("median wall time (ms)")
        ax.set_title(f"{scenario}: wall time per cell\n{_where(env)}", fontsize=10)
        fig.tight_layout()
        figs.append((f"{scenario}_wall", f"{scenario} wall time", fig))
    return figs


PLOTS = [cpu_speedup, ipc_throughput, ipc_latency, spawn_cost, switch_cost, sync_throughput, *PLOTS_IO, *PLOTS_LATENCY,
         generic]


def make_all(cells, env):
    figs = []
    for plot in PLOTS:
        figs.extend(plot(cells, env))
    return figs


def images(figs):
    """{name: (file name without extension, svg bytes, png bytes)} of each figure, closing it. Drawn
    in memory so that nothing is written until the whole report is ready (report.py)."""
    out = {}
    for name, _title, fig in figs:
        safe = "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in name)
        svg, png = io.BytesIO(), io.BytesIO()
        fig.savefig(svg, format="svg")
        fig.savefig(png, format="png", dpi=110)
        plt.close(fig)
        out[name] = (safe, svg.getvalue(), png.getvalue())
    return out
