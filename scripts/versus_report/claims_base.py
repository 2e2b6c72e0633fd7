"""What every claim rule shares: the verdict it returns and how it picks the cells it reads.

A ClaimVerdict is what this run's numbers say about one claim of the seed notes, in one of four
words: `holds` (the numbers bear the claim out, as its rule reads it), `does not hold` (they
contradict it), `depends` (they bear it out in some settings, or in one language, and not in
others; the evidence says on what), or `no data` (no cells of this run answer it; the evidence says
which would). The thresholds that decide between them are in thresholds.py. A ClaimVerdict judges a
claim within one run: it is not the verdict of `versus compare` (regressed, improved, unchanged,
...), which sets a cell of one run against the same cell of another.
"""

from dataclasses import dataclass

from .data import RUNNER_PARAMS


@dataclass
class ClaimVerdict:
    verdict: str          # holds | does not hold | depends | no data: whether the claim stands, not a change
    evidence: str         # numbers and the cells they come from, or which cells would answer


@dataclass
class Claim:
    id: str
    text: str
    seed: str
    test: str
    rule: object = None   # function(cells, env) -> ClaimVerdict; None: no scenario measures it yet


def _no_data(cells_needed):
    return ClaimVerdict("no data", f"no cells of this run answer it; {cells_needed} would")


def _ok(cells, scenario):
    ok = cells[(cells["scenario"] == scenario) & (cells["n_ok"] > 0)]
    # Parameter columns come from every scenario of the run: without rows of this one, none of
    # them is its own, and a claim asking for one must find it missing (no data), not empty.
    return ok[[c for c in ok.columns if not c.startswith("p_")]] if ok.empty else ok


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
