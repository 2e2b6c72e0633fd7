#!/usr/bin/env python3
"""Plots and a self-contained HTML report, with the seed notes' claims checked against the numbers,
from a versus results folder (results.csv and env.json). Writes OUT/report.html, OUT/report.md and
OUT/plots/*.svg|png; re-run it on any results folder, merged shards and older runs included."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from versus_report import claims, data, plots, render  # noqa: E402


def load(path):
    """The run at path; what is only worth a word about it goes to stderr now, before the report."""
    run = data.load_run(path)
    for note in run.notes:
        print(f"versus report: {note}", file=sys.stderr)
    return run


def build(results, output=None, compare=None):
    # Every input read first: bad input stops the report before anything is written.
    run = load(results)
    other_run = load(compare) if compare else None
    out = output or run.path
    os.makedirs(out, exist_ok=True)
    cells = data.summarise(run.rows)
    figs = plots.make_all(cells, run.env)
    titles = {name: title for name, title, _ in figs}
    written = plots.save(figs, os.path.join(out, "plots"))
    figures = {name: (titles[name], png) for name, png in written.items()}
    verdicts = claims.judge(cells, run.env)
    other = (other_run, data.summarise(other_run.rows)) if other_run else None
    html_path = os.path.join(out, "report.html")
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(render.html_report(run, cells, figures, verdicts, other))
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write(render.markdown_report(run, cells, verdicts))
    return html_path, figures, verdicts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", help="a results folder written by `versus run` or `versus merge`, or its results.csv")
    ap.add_argument("--compare", metavar="OTHER", help="another results folder to set beside this one")
    ap.add_argument("-o", "--output", help="folder for report.html, report.md and plots/ (default: the results folder)")
    args = ap.parse_args(argv)
    try:
        html_path, figures, verdicts = build(args.results, args.output, args.compare)
    except data.ResultsError as e:
        print(f"versus report: {e}", file=sys.stderr)
        return 2
    counts = {}
    for _, v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    print(f"versus report: {html_path} ({len(figures)} plots; claims: "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
