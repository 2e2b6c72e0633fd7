"""Which rows of a cell its summary is taken from, and whether the cell's repetitions agree.

A repetition versus set aside (status ok and `interfered` set: something else used its CPUs past
--interference-limit) was run again, and its row kept in results.csv. It is no measure of the cell
while the cell has a clean repetition (ok, `interfered` empty); a cell with none is summarised from
the ones set aside, and marked unstable.

A cell is unstable when its clean wall times split into two groups or spread too far to trust a
ratio of medians, and the mark says why as far as the rows tell: the scheduler placing the workers,
their migrations, something else on their CPUs, a hypervisor's steal. The same rule is versus's own (bench/results/stability.h: its summary, `versus compare`), and
tests/fixtures/stability holds its cases, worked by hand, which both sides are checked against.
"""

import numpy as np

from .thresholds import BIMODAL_GAP, FEWEST_JUDGED, OTHER_TIME_FLOOR, OTHER_TIME_SHARE, UNSTABLE_SPREAD


def set_aside(rows):
    """Mask of the rows set aside for interference. Results older than the column read it as empty."""
    return (rows["status"] == "ok") & rows["interfered"].notna()


def clean(rows):
    return (rows["status"] == "ok") & rows["interfered"].isna()


def measured(rows):
    """The ok rows of one cell its summary is taken from: the clean ones, or, where there are none,
    those set aside (a number measured under interference is still more than none)."""
    kept = rows[clean(rows)]
    return kept if len(kept) else rows[set_aside(rows)]


def cell_stability(rows):
    """(unstable, reason) of one cell, from all its rows: reason is empty for a stable cell, and
    otherwise says what is wrong and then, in brackets, every likely cause:
    `two groups 2.10x apart (placement none)`, `spread 22% (migrations)`,
    `every repetition set aside (interference)`. Only clean wall times are judged, and only
    FEWEST_JUDGED or more of them; a cell with no clean row but rows set aside is unstable."""
    kept = rows[clean(rows)]
    if kept.empty:
        return (True, f"every repetition set aside ({_causes(rows, kept)})") if set_aside(rows).any() else (False, "")
    wall = np.sort(kept["wall_s"].dropna().to_numpy())
    if len(wall) < FEWEST_JUDGED or wall[0] <= 0:  # no ratio between times of zero
        return False, ""
    gap = float(np.max(wall[1:] / wall[:-1]))
    q1, q3 = np.percentile(wall, [25, 75])
    spread = (q3 - q1) / np.median(wall)
    if gap > BIMODAL_GAP:
        what = f"two groups {gap:.2f}x apart"
    elif spread > UNSTABLE_SPREAD:
        what = f"spread {spread:.0%}"
    else:
        return False, ""
    return True, f"{what} ({_causes(rows, kept)})"


def _causes(rows, kept):
    """Every likely cause the rows show, in a fixed order, or `cause unknown`. Migrations, other
    CPU time and steal are read from the clean rows; a row set aside is interference itself."""
    noticeable = np.maximum(OTHER_TIME_SHARE * kept["wall_s"], OTHER_TIME_FLOOR)
    found = [name for name, seen in (
        ("placement none", rows["p_placement"].iloc[0] == "none"),
        ("migrations", kept["cpu_migrations"].sum() > 0),
        ("interference", set_aside(rows).any() or (kept["other_cpu_s"] > noticeable).any()),
        ("steal", (kept["steal_s"] > noticeable).any())) if seen]
    return ", ".join(found) or "cause unknown"
