"""baseline.csv, written by `versus-baseline --csv` (baseline/README.md) into a results folder:
versus's figures beside bare programs doing the same under the same placement. The report shows
it in the environment section as the harness's overhead on this machine."""

import csv
import os

FILE = "baseline.csv"
COLUMNS = ("what", "placement", "cpus", "unit", "higher_is_better", "versus", "bare", "ratio", "versus_n",
           "bare_n", "note")
TITLE = "Harness overhead on this machine"
EXPLAIN = ("versus-baseline: each versus figure beside a bare program doing the same on the same CPUs; "
           "versus and bare are medians over turns, ratio the median of each turn's versus / bare, the two "
           "measured one right after the other (for GB/s higher is better, else lower).")


def read(folder):
    """The rows of FOLDER/baseline.csv as dicts, and notes for the reader: none when the file is
    absent; a file that is not what versus-baseline writes is left out with a note naming it."""
    path = os.path.join(folder, FILE)
    if not os.path.exists(path):
        return [], []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                return [], [f"{path}: not versus-baseline's CSV (no column {', '.join(missing)}); left out"]
            return list(reader), []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        return [], [f"{path}: cannot be read ({e}); left out"]


def table_rows(rows):
    """(what, placement, cpus, versus, bare, unit, ratio, note) per row, as text."""
    return [(r["what"], r["placement"], r["cpus"], r["versus"] or "-", r["bare"] or "-", r["unit"],
             r["ratio"] or "-", r["note"]) for r in rows]


HEADINGS = ("what", "placement", "CPUs", "versus", "bare", "unit", "ratio", "note")


def markdown(rows):
    if not rows:
        return []
    lines = ["", f"## {TITLE}", "", EXPLAIN, "", "| " + " | ".join(HEADINGS) + " |", "|" + " --- |" * len(HEADINGS)]
    for r in table_rows(rows):
        lines.append("| " + " | ".join(v.replace("|", "/") for v in r) + " |")
    return lines
