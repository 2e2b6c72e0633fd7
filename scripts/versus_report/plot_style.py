"""What every plot shares: a colour per runner, a marker or hatch per placement, the placement in
every legend, the machine in the title, plain numbers on log axes."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.ticker  # noqa: E402

from .data import PLACEMENT_DEFAULT, placement_order  # noqa: E402

# One colour per runner across every plot.
RUNNER_COLOURS = {
    "serial": "#7f7f7f", "fork": "#1f77b4", "pthread": "#ff7f0e", "fiber": "#2ca02c",
    "select": "#9467bd", "poll": "#8c564b", "epoll": "#e377c2", "io_uring": "#17becf",
    "py-thread": "#bcbd22", "py-process": "#393b79", "py-asyncio": "#ad494a",
}
_EXTRA = ["#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d"]


# Where cells of several placements share a plot, the runner keeps its colour and the placement
# shows as a marker (lines) or a hatch (bars); the legend names both.
PLACEMENT_MARKERS = {"none": "o", "same": "s", "spread": "^", "compact": "D"}
PLACEMENT_HATCHES = {"none": "", "same": "//", "spread": "..", "compact": "xx"}


def marker(placement):
    return PLACEMENT_MARKERS.get(placement, "v")


def hatch(placement):
    return PLACEMENT_HATCHES.get(placement, "\\\\")


def placements(df):
    """The placements of the cells in df, in data.PLACEMENTS' order; results from before the
    parameter read as `none`."""
    if "p_placement" not in df or df.empty:
        return [PLACEMENT_DEFAULT]
    return placement_order(df["p_placement"])


def placement_title(df):
    """A legend's title: the one placement of the cells drawn, or that each entry names its own."""
    have = placements(df)
    return f"placement={have[0]}" if len(have) == 1 else "runner, placement"


def series(df, variants=None):
    """[(label, variant, placement, cells)]: one line or set of bars per runner variant and
    placement, labelled with the placement where df holds several."""
    have = placements(df)
    out = []
    for variant in variants if variants is not None else sorted(df["variant"].unique()):
        v = df[df["variant"] == variant]
        for placement in have:
            rows = v[v["p_placement"] == placement] if "p_placement" in v else v
            if len(rows):
                out.append((variant if len(have) == 1 else f"{variant}, {placement}", variant, placement, rows))
    return out


def legend(ax, df, **kw):
    """The axes' legend, titled with the placement of df's cells."""
    kw.setdefault("fontsize", 8)
    return ax.legend(title=placement_title(df), title_fontsize=8, **kw)


def colour(variant):
    if variant in RUNNER_COLOURS:
        return RUNNER_COLOURS[variant]
    base = variant.split(" ")[0]
    # A stable sum, not hash(): Python salts str hashes per process, and a variant must keep its
    # colour from one report to the next.
    shade = _EXTRA[sum(map(ord, variant)) % len(_EXTRA)]
    return shade if base not in RUNNER_COLOURS else _darker(RUNNER_COLOURS[base], variant)


def _darker(hex_colour, variant):
    """A variant of a runner (fiber on 2 threads) in a darker shade of the runner's colour."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    k = 0.55 + 0.1 * (sum(map(ord, variant)) % 4)
    return "#{:02x}{:02x}{:02x}".format(int(r * k), int(g * k), int(b * k))


def _where(env):
    cpu = env.get("cpu_model", "unknown CPU")
    cores = env.get("logical_cores", "?")
    return f"{cpu}, {cores} cores, {env.get('host', '?')}"


def _varying(cells, candidates):
    return [c for c in candidates if c in cells.columns and cells[c].nunique(dropna=True) > 1]


def _plain_numbers(axis):
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _per_op(df, factor):
    """Time per operation from ops/s, with the quartiles swapped (faster rate, shorter time)."""
    return df.assign(per_op=factor / df["ops_per_s"], per_op_q1=factor / df["ops_per_s_q3"],
                     per_op_q3=factor / df["ops_per_s_q1"])
