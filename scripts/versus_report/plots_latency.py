"""Latency under load: the latency-throughput curve of each runner as its offered rate grows (the
hockey stick), and each latency cell's percentile spectrum from its histogram side file. Same
contract as plots.py: each takes the cell summary and the environment and returns
[(name, title, figure)]; the spectra read the `spectrum` column hgrm.with_spectra adds."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.lines  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

from .data import RATE_PARAM, RUNNER_PARAMS, is_open_loop, share_of_peak  # noqa: E402
from .plot_style import marker, placement_title, placements, series  # noqa: E402
from .plots_io import _finish, _grid, _label, _legend_below, _log_axis, _style, _variants  # noqa: E402

# The spectrum's x axis: 1/(1-percentile), from the median to the 99.99th, as HdrHistogram's
# plotter draws it, so that each further nine of the tail gets the same width.
SPECTRUM_TICKS = {2: "50%", 10: "90%", 100: "99%", 1000: "99.9%", 10000: "99.99%"}
# Where a repetition fell short of its offered rate: a ring around the point.
SATURATED_MARK = {"marker": "o", "s": 110, "facecolors": "none", "edgecolors": "#c62828", "linewidths": 1.4,
                  "zorder": 4}
# The closed loop's point, apart from the line: the peak the offered rates are shares of.
CLOSED_LOOP_MARK = {"marker": "*", "s": 70, "zorder": 3}


def settings(df):
    """The columns that make one curve or spectrum a different experiment from another: the
    scenario's own parameters that vary, other than the rate (a point of the curve) and the
    placement (a line of its own); and the connections, where they vary."""
    cols = [c for c in df.columns if c.startswith("p_") and c[2:] not in RUNNER_PARAMS
            and c not in (RATE_PARAM, "p_placement") and df[c].nunique(dropna=True) > 1]
    return cols + (["workers"] if df["workers"].nunique() > 1 else [])


def setting_groups(df):
    """[(label, rows)] per setting, `workers=64, op=get`; [("", df)] where nothing varies."""
    cols = settings(df)
    if not cols:
        return [("", df)]
    out = []
    for key, g in df.groupby(cols if len(cols) > 1 else cols[0], dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{c[2:] if c.startswith('p_') else c}={v}" for c, v in zip(cols, key)), g))
    return out


def rate_order(rate):
    """A sort key for `rate` values: the closed loop first, then shares of the peak, then requests
    per second, each by size."""
    if not is_open_loop(rate):
        return (0, 0.0)
    share = share_of_peak(rate)
    if share is not None:
        return (1, share)
    try:
        return (2, float(rate))
    except ValueError:
        return (3, 0.0)


def curve_points(cells):
    """The open-loop cells of one line, in the order of their offered rate (offered_per_s; the
    `rate` asked where a row has none)."""
    open_loop = cells[cells[RATE_PARAM].map(is_open_loop)]
    order = [(offered if offered == offered else float("inf"), rate_order(rate))
             for offered, rate in zip(open_loop["offered_per_s"], open_loop[RATE_PARAM])]
    return open_loop.iloc[sorted(range(len(order)), key=order.__getitem__)]


def _loaded(cells):
    """redis cells with latencies, in results that have open-loop cells; empty otherwise."""
    rd = cells[(cells["scenario"] == "redis") & (cells["n_ok"] > 0)]
    if rd.empty or RATE_PARAM not in rd:
        return rd.iloc[0:0]
    rd = rd[rd["lat_p50_us"].notna()]
    return rd if rd[RATE_PARAM].map(is_open_loop).any() else rd.iloc[0:0]


def redis_latency_curve(cells, env):
    """p50 and p99 against achieved replies per second, a line per runner and placement through the
    open-loop cells in the order of their offered rate; the closed loop's point apart (a star), as
    the peak the rates were a share of; saturated points ringed."""
    rd = _loaded(cells)
    if rd.empty:
        return []
    # A setting measured in closed loop only has no curve to draw.
    groups = [(label, g) for label, g in setting_groups(rd) if g[RATE_PARAM].map(is_open_loop).any()]
    # A line's label names its placement wherever the figure has several, in every panel alike.
    several = len(placements(rd)) > 1
    fig, axes = _grid(len(groups))
    for ax, (label, g) in zip(axes, groups):
        for _, variant, placement, line in series(g, _variants(g)):
            name = f"{variant}, {placement}" if several else variant
            points = curve_points(line)
            style = _style(variant)
            ax.plot(points["ops_per_s"], points["lat_p50_us"], marker=marker(placement), markersize=4, label=name,
                    **style)
            ax.plot(points["ops_per_s"], points["lat_p99_us"], marker=marker(placement), markersize=4, alpha=0.8,
                    color=style["color"], linestyle=":")
            short = points[points["n_saturated"] > 0]
            for column in ("lat_p50_us", "lat_p99_us"):
                ax.scatter(short["ops_per_s"], short[column], **SATURATED_MARK)
            closed = line[~line[RATE_PARAM].map(is_open_loop)]
            for column in ("lat_p50_us", "lat_p99_us"):
                ax.scatter(closed["ops_per_s"], closed[column], color=style["color"], **CLOSED_LOOP_MARK)
        _log_axis(ax, None, "y")
        # From zero, so the distance to the peak reads as a share of it; few ticks, as the numbers are long.
        ax.set_xlim(left=0)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        _label(ax, label, "achieved replies per second", "time of one request (µs)")
    keys = [(matplotlib.lines.Line2D([], [], color="k", marker="o", markersize=4), "p50 (solid)"),
            (matplotlib.lines.Line2D([], [], color="k", marker="o", markersize=4, linestyle=":"), "p99 (dotted)"),
            (matplotlib.lines.Line2D([], [], color="k", marker="*", markersize=8, linestyle=""),
             "closed loop (rate=0)"),
            (matplotlib.lines.Line2D([], [], marker="o", markersize=9, markerfacecolor="none", linestyle="",
                                     markeredgecolor=SATURATED_MARK["edgecolors"]), "saturated (achieved < offered)")]
    rows = _legend_below(fig, axes, rd, keys, title="runner, placement" if several else placement_title(rd))
    _finish(fig, "redis: request latency vs achieved rate, open loop, points in the order of the offered rate", env,
            rows)
    return [("redis_latency_curve", "redis latency vs achieved throughput (open loop)", fig)]


def _spectra(cells):
    if "spectrum" not in cells:
        return cells.iloc[0:0]
    return cells[cells["spectrum"].map(lambda s: s is not None) & (cells["n_ok"] > 0)]


def _rate_of(cells):
    return cells[RATE_PARAM] if RATE_PARAM in cells else ["0"] * len(cells)


def latency_spectrum(cells, env):
    """Each latency cell's percentiles from p50 to p99.99 against 1/(1-percentile), log-log: a figure
    per scenario and setting, a panel per runner and placement, a line per offered rate (the
    closed loop black and dashed)."""
    figs = []
    have = _spectra(cells)
    for scenario, sc in have.groupby("scenario", sort=False):
        for label, g in setting_groups(sc):
            g = g.assign(rate=list(_rate_of(g)))
            rates = sorted(set(g["rate"]), key=rate_order)
            shades = plt.get_cmap("viridis")
            open_rates = [r for r in rates if is_open_loop(r)]
            shade = {r: shades(i / max(1, len(open_rates) - 1) * 0.9) for i, r in enumerate(open_rates)}
            panels = series(g, _variants(g))
            fig, axes = _grid(len(panels))
            for ax, (name, _, _, cells_of) in zip(axes, panels):
                for cell in sorted(cells_of.itertuples(), key=lambda c: rate_order(c.rate)):
                    _draw_spectrum(ax, cell.spectrum, cell.rate, shade.get(cell.rate, "k"))
                _spectrum_axes(ax)
                _label(ax, name, "percentile", "time of one request (µs)")
            rows = _legend_below(fig, axes, g)
            _finish(fig, f"{scenario}: latency by percentile ({label or 'defaults'}), from each cell's histogram", env,
                    rows)
            suffix = "_".join(part.split("=", 1)[1] for part in label.split(", ")) if label else ""
            figs.append((f"{scenario}_spectrum" + (f"_{suffix}" if suffix else ""),
                         f"{scenario} latency spectrum ({label or 'defaults'})", fig))
    return figs


def _draw_spectrum(ax, spectrum, rate, shade):
    # The last line, at percentile 1, lies at infinity: the plotter leaves it out too.
    points = [(1 / (1 - p), v) for p, v in zip(spectrum.percentiles, spectrum.values_us) if p < 1]
    # 1/(1-0.9999) comes out a hair above 10000 in floating point: the tick's own line is kept.
    points = [(x, v) for x, v in points if min(SPECTRUM_TICKS) <= round(x, 6) <= max(SPECTRUM_TICKS)]
    if not points:
        return
    x, y = zip(*points)
    closed = not is_open_loop(rate)
    ax.plot(x, y, color="k" if closed else shade, linestyle="--" if closed else "-", linewidth=1.3,
            label="closed loop" if closed else f"rate={rate}")


def _spectrum_axes(ax):
    ax.set_xscale("log")
    ax.set_xlim(min(SPECTRUM_TICKS), max(SPECTRUM_TICKS))
    ax.set_xticks(list(SPECTRUM_TICKS))
    ax.set_xticklabels(list(SPECTRUM_TICKS.values()), fontsize=8)
    ax.xaxis.set_minor_locator(plt.NullLocator())
    _log_axis(ax, None, "y")


PLOTS_LATENCY = [redis_latency_curve, latency_spectrum]
