"""What every claim rule shares: the verdict it returns and how it picks the cells it reads.

A ClaimVerdict is what this run's numbers say about one claim of the seed notes, in one of five
words: `holds` (the numbers bear the claim out, as its rule reads it), `does not hold` (they
contradict it), `depends` (they bear it out in some settings, or in one language, and not in
others; the evidence says on what), `no data` (no cells of this run answer it; the evidence says
which would), or `unstable` (the rule read a cell whose repetitions disagree, stability.py, and
their spread could change the verdict: the evidence names it and why, then what the rule would
have said). The thresholds that decide between
them are in thresholds.py. A ClaimVerdict judges a claim within one run: it is not the verdict of
`versus compare` (regressed, improved, unchanged, ...), which sets a cell of one run against the
same cell of another.

Where the workers ran changes what they cost (a round trip on one CPU is a switch, across cores a
wake-up), so a rule compares cells of one placement only, and says which: the first of its
preferred placements whose cells answer it (_at_one_placement).

Which cells a verdict rests on is seen, not declared: `judged` hands a rule the cell summary as a
ReadCells, which notes every cell whose measures the rule reads, and turns the verdict into
`unstable` where one of them is and its spread could change the verdict. So the rules stay as
they are, reading cells as any table, rather than each returning the cells it used, which a new
rule could forget to do; _at_one_placement forgets what was read at a placement that did not
answer.
"""

from dataclasses import dataclass

import pandas as pd

from .data import PLACEMENT_DEFAULT, RUNNER_PARAMS, SUMMARY_MEASURES, placement_order
from .thresholds import UNSTABLE_TRIED_ALONE

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
    verdict: str          # holds | does not hold | depends | no data | unstable: whether the claim stands, not a change
    evidence: str         # numbers and the cells they come from, or which cells would answer


@dataclass
class Claim:
    id: str
    text: str
    seed: str             # the seed notes that make it, "000, 003"; "" for a claim measuring raised
    test: str
    rule: object = None   # function(cells, env) -> ClaimVerdict; None: no scenario measures it yet


# The summary's numbers. Reading one is reading the cell; a rule that only picks cells (by name,
# runner, workers, parameters, whether any row was ok) has not yet read any.
MEASURES = frozenset(m + q for m in SUMMARY_MEASURES for q in ("", "_q1", "_q3"))


class ReadCells(pd.DataFrame):
    """The cell summary as a rule is handed it. `reads` is one set, shared by every table taken from
    this one (filtered, grouped, sorted, assigned to), of the cells whose measures were read: through
    a column (`df["wall_s"]`, `df.wall_s`; every cell of that table, any of which the rule may use), a
    row (`df.iloc[0]["wall_s"]`), a field of itertuples (`r.wall_s`), or a sort by a measure. Those are
    the ways the rules read numbers; .loc, .values and to_dict are not seen."""
    _metadata = ["reads"]
    reads = None

    @property
    def _constructor(self):
        return ReadCells

    @property
    def _constructor_sliced(self):
        return _ReadRow

    def _note(self):
        if self.reads is not None and "cell" in self.columns:
            self.reads.update(pd.DataFrame.__getitem__(self, "cell"))

    def __getitem__(self, key):
        if isinstance(key, str) and key in MEASURES:
            self._note()
        return super().__getitem__(key)

    def sort_values(self, by, *args, **kwargs):
        if MEASURES.intersection([by] if isinstance(by, str) else by):
            self._note()
        return super().sort_values(by, *args, **kwargs)

    def itertuples(self, index=True, name="Pandas"):
        rows = super().itertuples(index, name)
        # Rows without field names (name=None, as to_dict asks) cannot say which field is read.
        return rows if name is None or self.reads is None else _noting_rows(rows, self.reads)


class _ReadRow(pd.Series):
    """A column or a row of a ReadCells; a row (one cell's) notes its cell when a measure is read."""
    _metadata = ["reads"]
    reads = None

    @property
    def _constructor(self):
        return _ReadRow

    @property
    def _constructor_expanddim(self):
        return ReadCells

    def __getitem__(self, key):
        if self.reads is not None and isinstance(key, str) and key in MEASURES and "cell" in self.index:
            self.reads.add(pd.Series.__getitem__(self, "cell"))
        return super().__getitem__(key)


def _noting_rows(rows, reads):
    """itertuples' rows, each still the namedtuple it was, noting its cell when a measure field is read."""
    def get(self, attr):
        if attr in MEASURES:
            reads.add(tuple.__getattribute__(self, "cell"))
        return tuple.__getattribute__(self, attr)
    kind = None
    for row in rows:
        kind = kind or type(type(row).__name__, (type(row),), {"__slots__": (), "__getattribute__": get})
        yield kind._make(row)


def _reads_so_far(df):
    reads = getattr(df, "reads", None)
    return None if reads is None else set(reads)


def _forget_reads_since(df, before):
    """What an answer read at a placement whose cells did not answer is no part of the verdict."""
    if before is not None:
        df.reads.intersection_update(before)


def judged(rule, cells, env):
    """rule(cells, env), unless its verdict rests on an unstable cell (one it read, data.summarise's
    `unstable`) whose spread could change it: then `unstable`, naming those cells and why, and after
    them what the rule said, so a verdict that noise could have made is never given as the run's
    answer. A cell counts once any of its measures is read, even where the rule then decides by
    others (a table of speedups over every worker count, of which it quotes one): the mark errs
    toward unstable. The verdict stands, naming the unstable cells, when the rule says the same with
    them at either end of their middle half (_same_across_spread). `no data` rests on no cell and
    stands."""
    read = ReadCells(cells)
    read.reads = set()
    verdict = rule(read, env)
    if verdict.verdict == "no data":
        return verdict
    shaky = cells[cells["cell"].isin(read.reads) & cells["unstable"]]
    if shaky.empty:
        return verdict
    # A claim over a whole scenario may rest on dozens: the first few named, the rest counted.
    shown = shaky.iloc[:4]
    named = "; ".join(f"{r.cell} ({r.unstable_reason})" for r in shown.itertuples())
    rest = len(shaky) - len(shown)
    named += f"; and {rest} more" if rest else ""
    cell_s = f"cell{'s' if len(shaky) > 1 else ''}"
    if _same_across_spread(rule, cells, env, list(shaky["cell"]), verdict.verdict):
        return ClaimVerdict(verdict.verdict, f"{verdict.evidence} (it read {len(shaky)} unstable {cell_s}: {named}; "
                                             f"at the ends of their middle half of repetitions it says the same)")
    return ClaimVerdict("unstable", f"rests on {len(shaky)} unstable {cell_s}: {named}. "
                                    f"The rule would say {verdict.verdict}: {verdict.evidence}")


# The measures that are rates: more of them is faster. Every other measure moved is taken as
# better lower.
_RATES = ("ops_per_s", "bytes_per_s")
# What the cell was asked to do, not how it did: never moved.
_ASKED = ("offered_per_s",)


def _same_across_spread(rule, cells, env, shaky, said):
    """Whether `rule` says `said` with the cells `shaky` moved to the ends of their interquartile
    range: all at their fast end, all at their slow end, and each (of the first
    UNSTABLE_TRIED_ALONE) at one end with the others at the other. A spread that could flip a
    comparison shows at one of those. Not where the moved numbers lead the rule to read another
    unstable cell, nor where they make it fail: such a verdict rests on more than was tried."""
    trials = [dict.fromkeys(shaky, True), dict.fromkeys(shaky, False)]
    if len(shaky) > 1:
        for cell in shaky[:UNSTABLE_TRIED_ALONE]:
            for fast in (True, False):
                trials.append(dict(dict.fromkeys(shaky, not fast), **{cell: fast}))
    unstable = set(cells.loc[cells["unstable"], "cell"])
    for fast in trials:
        moved = ReadCells(_at_ends(cells, fast))
        moved.reads = set()
        try:
            verdict = rule(moved, env).verdict
        except Exception:  # a rule failing on numbers it never met: no verdict to keep
            return False
        if verdict != said or (moved.reads & unstable) - set(shaky):
            return False
    return True


def _at_ends(cells, fast):
    """A copy of `cells` with each cell named in `fast` at one end of its interquartile range in
    every measure: the fast end (less time, more rate) where fast[cell], else the slow end."""
    out = pd.DataFrame(cells).copy()
    # Two masks, whatever the number of cells: a claim over a whole scenario may move hundreds.
    for quick in (True, False):
        rows = out["cell"].isin([cell for cell, q in fast.items() if q == quick])
        for m in (m for m in SUMMARY_MEASURES if m not in _ASKED):
            low = quick != (m in _RATES)
            out.loc[rows, m] = out.loc[rows, m + ("_q1" if low else "_q3")]
    return out


def by_settings(text, as_claimed, holds, depends):
    """The verdict of a rule that judges each setting alone (`as_claimed`, one bool each): holds
    where all are, does not hold where none is, depends between; `holds` and `depends` end the
    text of each, `depends` given the count as claimed and the count of settings."""
    passed = sum(as_claimed)
    if passed == len(as_claimed):
        return ClaimVerdict("holds", text + holds)
    if passed == 0:
        return ClaimVerdict("does not hold", text + ".")
    return ClaimVerdict("depends", text + depends(passed, len(as_claimed)))


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
        before = _reads_so_far(df)
        got = answer(df[df["p_placement"] == placement] if "p_placement" in df else df)
        if got:
            return placement, got
        _forget_reads_since(df, before)
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


def memory_slopes(alive, reference):
    """[(setting, fewest, most, {variant: (MiB of PSS, MiB of peak RSS)})]: what one more live worker
    adds to a cell's memory, the slope between the fewest and the most live workers at which
    `reference` and the variant both ran, in each group of equal settings. The whole cell divided
    by its workers would share out what is there once (an interpreter, the parent process) and
    call it per worker; the slope leaves it out."""
    out = []
    for setting, g in _groups(alive):
        by = {}
        for r in g.itertuples():
            by.setdefault(r.variant, {}).setdefault(int(r.workers), (r.pss_bytes / 2**20, r.rss_peak_bytes / 2**20))
        ref = by.get(reference, {})
        pairs = {}
        for variant, counts in by.items():
            common = sorted(set(ref) & set(counts))
            if variant == reference or len(common) < 2:
                continue
            lo, hi = common[0], common[-1]
            slope = lambda c: tuple((c[hi][i] - c[lo][i]) / (hi - lo) for i in range(2))  # noqa: E731
            pairs.setdefault((lo, hi), {reference: slope(ref)})[variant] = slope(counts)
        out += [(setting, lo, hi, per) for (lo, hi), per in sorted(pairs.items())]
    return out

