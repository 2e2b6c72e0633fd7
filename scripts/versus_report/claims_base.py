"""What every claim rule shares: the verdict it returns and how it picks the cells it reads.

A ClaimVerdict is what this run's numbers say about one claim of the seed notes, in one of four
words: `holds` (the numbers bear the claim out, as its rule reads it), `does not hold` (they
contradict it), `depends` (they bear it out in some settings, or in one language, and not in
others; the evidence says on what), or `no data` (no cells of this run answer it; the evidence says
which would). The thresholds that decide between them are in thresholds.py. A ClaimVerdict judges a
claim within one run: it is not the verdict of `versus compare` (regressed, improved, unchanged,
...), which sets a cell of one run against the same cell of another.

Where the workers ran changes what they cost (a round trip on one CPU is a switch, across cores a
wake-up), so a rule compares cells of one placement only, and says which: the first of its
preferred placements whose cells answer it (_at_one_placement).
"""

from dataclasses import dataclass

from .data import PLACEMENT_DEFAULT, RUNNER_PARAMS, placement_order

# The placements a rule prefers to compare at, most wanted first. A pinned cell says where each
# worker ran and varies less from one repetition to the next; `none` is the scheduler's choice,
# and all that results from before placement have.
# APART: each worker on a core of its own, the two ends of a pair on different cores: the work
# running in parallel, as the claims about scaling and throughput picture it.
APART = ("spread", "none")
# TOGETHER: both ends on one CPU, so a hand-over or a round trip is a switch on that CPU rather
# than a wake-up across cores: the cost the claims about switching and latency name.
TOGETHER = ("same", "none")

PLACEMENT_WORDS = {"none": "placed by the scheduler", "same": "every worker on one CPU",
                   "spread": "workers on distinct cores, the ends of a pair apart",
                   "compact": "workers filling one core's hardware threads, then the next core's"}


@dataclass
class ClaimVerdict:
    verdict: str          # holds | does not hold | depends | no data: whether the claim stands, not a change
    evidence: str         # numbers and the cells they come from, or which cells would answer


@dataclass
class Claim:
    id: str
    text: str
    seed: str             # the seed notes that make it, "000, 003"; "" for a claim measuring raised
    test: str
    rule: object = None   # function(cells, env) -> ClaimVerdict; None: no scenario measures it yet


def _no_data(cells_needed):
    return ClaimVerdict("no data", f"no cells of this run answer it; {cells_needed} would")


def _ok(cells, scenario):
    ok = cells[(cells["scenario"] == scenario) & (cells["n_ok"] > 0)]
    # Parameter columns come from every scenario of the run: without rows of this one, none of
    # them is its own, and a claim asking for one must find it missing (no data), not empty.
    return ok[[c for c in ok.columns if not c.startswith("p_")]] if ok.empty else ok


def _placements(df):
    if df.empty:
        return []
    return placement_order(df["p_placement"]) if "p_placement" in df else [PLACEMENT_DEFAULT]


def _in_order(df, prefer):
    have = _placements(df)
    return [p for p in prefer if p in have] + [p for p in have if p not in prefer]


def _at_one_placement(df, prefer, answer):
    """Like with like: the first placement, in the order `prefer` gives and then the others as
    data.placement_order lists them, at which answer(the cells of that placement alone) is not
    empty. Returns (placement, that answer), or (None, None) where no placement gives one."""
    for placement in _in_order(df, prefer):
        got = answer(df[df["p_placement"] == placement] if "p_placement" in df else df)
        if got:
            return placement, got
    return None, None


def _placed(placement, df, prefer):
    """The placement a rule compared at, in words, naming the preferred ones whose cells did not
    answer: `placement=none (placed by the scheduler; the cells at spread do not answer)`."""
    words = PLACEMENT_WORDS.get(placement, f"workers on CPUs {placement.partition(':')[2]}")
    order = _in_order(df, prefer)
    passed = [p for p in order[:order.index(placement)] if p in prefer] if placement in order else []
    if passed:
        words += f"; the cells at {' and '.join(passed)} do not answer"
    return f"placement={placement} ({words})"


def _cores(env):
    return int(env.get("logical_cores") or 0) or None


def _settings(df, without=()):
    """The scenario's own parameters that the cells carry: cells equal in these are comparable."""
    return [c for c in df.columns if c.startswith("p_") and c[2:] not in RUNNER_PARAMS and c not in without
            and df[c].notna().any()]


def _groups(df, without=()):
    cols = _settings(df, without)
    if not cols:
        return [("defaults", df)]
    out = []
    for key, g in df.groupby(cols if len(cols) > 1 else cols[0], dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        varying = [(c, v) for c, v in zip(cols, key) if df[c].nunique(dropna=True) > 1]
        out.append((", ".join(f"{c[2:]}={v}" for c, v in varying) or "defaults", g))
    return out
