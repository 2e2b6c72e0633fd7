#!/usr/bin/env python3
"""Plots and a self-contained HTML report, with the seed notes' claims checked against the numbers,
from a versus results folder (results.csv and env.json). Writes OUT/report.html, OUT/report.md and
OUT/plots/*.svg|png; re-run it on any results folder, merged shards and older runs included.
Exit status: 0 written; 2 the input is not results versus wrote (the message names the file and
line); 1 the report could not be written (a read-only folder, a full disk), nothing of it left."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from versus_report import claims, data, hgrm, output, plots, render  # noqa: E402

EXIT_BAD_INPUT = 2
EXIT_CANNOT_WRITE = 1


def load(path):
    """The run at path; what is only worth a word about it goes to stderr now, before the report."""
    run = data.load_run(path)
    for note in run.notes:
        print(f"versus report: {note}", file=sys.stderr)
    return run


def build(results, output_folder=None, compare=None):
    """Reads every input first, so bad input stops the report before anything is written; then
    draws it all in memory and writes it all or none. Returns (report.html's path,
    {plot name: (title, png path)}, verdicts)."""
    run = load(results)
    other_run = load(compare) if compare else None
    files, plot_files, verdicts = draw(run, other_run)
    out = output_folder or run.path
    output.write_all(out, files)
    figures = {name: (title, os.path.join(out, path)) for name, (title, path) in plot_files.items()}
    return os.path.join(out, "report.html"), figures, verdicts


def draw(run, other_run=None):
    """The report in memory: ({path in the output folder: bytes}, {plot name: (title, its png's
    path there)}, verdicts)."""
    # A side file that is missing or malformed costs its cell the spectrum, said in the report.
    cells = hgrm.with_spectra(data.summarise(run.rows), run.path)
    figs = plots.make_all(cells, run.env)
    titles = {name: title for name, title, _ in figs}
    drawn = plots.images(figs)
    verdicts = claims.judge(cells, run.env)
    other = (other_run, data.summarise(other_run.rows)) if other_run else None
    html = render.html_report(run, cells, {name: (titles[name], png) for name, (_, _, png) in drawn.items()},
                              verdicts, other)
    files = {os.path.join("plots", safe + ext): image for safe, svg, png in drawn.values()
             for ext, image in ((".svg", svg), (".png", png))}
    files["report.md"] = render.markdown_report(run, cells, verdicts).encode("utf-8")
    files["report.html"] = html.encode("utf-8")  # last: renamed into place once everything else is
    plot_files = {name: (titles[name], os.path.join("plots", safe + ".png")) for name, (safe, _, _) in drawn.items()}
    return files, plot_files, verdicts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="a results folder written by `versus run` or `versus merge`, or its results.csv")
    ap.add_argument("--compare", metavar="OTHER", help="another results folder to set beside this one")
    ap.add_argument("-o", "--output", help="folder for report.html, report.md and plots/ (default: the results folder)")
    args = ap.parse_args(argv)
    try:
        html_path, figures, verdicts = build(args.results, args.output, args.compare)
    except data.ResultsError as e:
        print(f"versus report: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except output.WriteError as e:
        print(f"versus report: cannot write the report: {e.path}: {e.reason}; nothing of it was left", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    counts = {}
    for _, v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    print(f"versus report: {html_path} ({len(figures)} plots; claims: "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
