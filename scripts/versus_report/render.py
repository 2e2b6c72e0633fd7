"""The report as one self-contained HTML file (plots inline) and as Markdown."""

import base64
import html
import math

import numpy as np

from . import claims as claims_mod
from . import baseline, stability
from .data import RUNNER_PARAMS
from .plot_style import placements
from .plots import colour
from .seeds import has_python, seed004_tables

VERDICT_COLOURS = {"holds": "#2e7d32", "does not hold": "#c62828", "depends": "#ef6c00", "no data": "#757575",
                   "unstable": "#6a1b9a"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:13px} th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f5f5f5} td.l,th.l{text-align:left} .badge{color:#fff;border-radius:3px;padding:1px 6px;white-space:nowrap}
img{max-width:100%;border:1px solid #eee;margin:.5em 0} .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}
.muted{color:#777;font-size:13px} .claim{margin:1em 0;padding:.5em 1em;border-left:4px solid #ccc;background:#fafafa}
"""


def _e(x):
    return html.escape(str(x))


def _num(v, fmt="{:.3g}"):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return fmt.format(v)


def _badge(verdict):
    return f'<span class="badge" style="background:{VERDICT_COLOURS[verdict]}">{_e(verdict)}</span>'


def _img(png, title):
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{_e(title)}" src="data:image/png;base64,{data}"><figcaption class="muted">{_e(title)}</figcaption></figure>'


def varying_params(cells):
    return [c for c in cells.columns if c.startswith("p_") and cells[c].nunique(dropna=True) > 1]


def cell_table(cells):
    """Rows of a scenario's table, with the ratio of each cell's median time to the best runner
    at the same parameters and workers (1.00 = the best). The placement is always a column, first
    of the parameters: where the workers ran is part of what a number means."""
    pcols = ["p_placement"] + [c for c in varying_params(cells) if c != "p_placement"]
    group_cols = [c for c in pcols if c[2:] not in RUNNER_PARAMS] + ["workers"]
    best = cells.groupby(group_cols, dropna=False)["wall_s"].transform("min") if group_cols else cells["wall_s"].min()
    out = cells.assign(ratio=cells["wall_s"] / best)
    return out, pcols


def placed_columns(cells):
    """Whether the cells carry where they ran (`cpus`, `cpu_migrations`): results from before
    those columns do not, and their table leaves them out."""
    return bool((cells["cpus"].fillna("") != "").any() or cells["cpu_migrations"].notna().any())


def repetitions(r):
    """A cell's ok rows taken of all its rows, and those set aside where there are any: `5/7 (2 set aside)`."""
    return f"{r.n_ok}/{r.n}" + (f" ({r.n_set_aside} set aside)" if r.n_set_aside else "")


def unstable_note(r):
    return f"unstable: {r.unstable_reason}" if r.unstable else ""


def set_aside_sentence(run):
    """What became of the repetitions set aside, in one sentence; empty where there were none."""
    n = int(stability.set_aside(run.rows).sum())
    if not n:
        return ""
    were, their, stay = ("s were", "their", "they stay") if n > 1 else (" was", "its", "it stays")
    return (f"{n} repetition{were} set aside because something else used {their} CPUs past the interference limit "
            f"(--interference-limit), and run again; {stay} in results.csv, but summaries, plots and claims use "
            "only a cell's clean repetitions wherever it has one.")


def spectrum_notes(cells):
    """Why cells whose rows name a histogram side file have no percentile spectrum (hgrm.with_spectra)."""
    return [note for note in cells.get("spectrum_note", []) if note]


def env_rows(env):
    keys = ["host", "cpu_model", "logical_cores", "physical_cores", "memory_bytes", "kernel", "governor", "compiler",
            "build_type", "git_revision", "start_time"]
    rows = [(k, env.get(k)) for k in keys if k in env]
    if "libraries" in env:
        rows.append(("libraries", ", ".join(f"{k} {v}" for k, v in env["libraries"].items())))
    if "python" in env:
        rows.append(("python", python_text(env["python"])))
    if "merged_from" in env:
        hosts = sorted({(s.get("env") or {}).get("host", "?") for s in env["merged_from"]})
        rows.append(("merged from", f"{len(env['merged_from'])} results, hosts: {', '.join(hosts)}"))
    return rows


def python_text(py):
    """env.json's "python": the interpreter the Python runners used, or null when there was none."""
    if not isinstance(py, dict):
        return "none usable: the Python runners did not run"
    gil = {True: "GIL on", False: "no GIL (free-threaded)"}.get(py.get("gil"), "GIL unknown")
    return f"{py.get('version', '?')}, {gil} ({py.get('executable', '?')})"


def html_report(run, cells, figures, verdicts, compare=None):
    """figures: {name: (title, png bytes)}, set inline under their scenario."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>versus report: {_e(run.path)}</title>"
             f"<style>{CSS}</style></head><body>"]
    parts.append(f"<h1>versus report</h1><p class='muted'>{_e(run.path)}: {len(run.rows)} rows, {len(cells)} cells, "
                 f"{len(run.not_ok)} rows not ok</p>")
    aside = set_aside_sentence(run)
    if aside:
        parts.append(f"<p>{_e(aside)}</p>")
    # At a glance: the claims first, since that is the question the project grew from.
    parts.append("<h2>Claims at a glance</h2><table><tr><th class='l'>id</th><th class='l'>claim</th><th>verdict</th></tr>")
    for claim, v in verdicts:
        parts.append(f"<tr><td class='l'><a href='#{claim.id}'>{claim.id}</a></td><td class='l'>{_e(claim.text)}</td>"
                     f"<td>{_badge(v.verdict)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Environment</h2><table>")
    for k, v in env_rows(run.env):
        parts.append(f"<tr><th class='l'>{_e(k)}</th><td class='l'>{_e(v)}</td></tr>")
    parts.append("</table>")
    if run.baseline:
        parts.append(f"<h3 id='overhead'>{_e(baseline.TITLE)}</h3><p class='muted'>{_e(baseline.EXPLAIN)}</p><table><tr>"
                     + "".join(f"<th class='l'>{_e(h)}</th>" for h in baseline.HEADINGS) + "</tr>")
        for r in baseline.table_rows(run.baseline):
            parts.append("<tr>" + "".join(f"<td class='l'>{_e(v)}</td>" for v in r) + "</tr>")
        parts.append("</table>")
    for scenario, g in cells.groupby("scenario", sort=False):
        parts.append(f"<h2>Scenario {_e(scenario)}</h2>")
        for name, (title, png) in figures.items():
            if name.startswith(scenario + "_"):
                parts.append(_img(png, title))
        parts += [f"<p class='muted'>{_e(note)}</p>" for note in spectrum_notes(g)]
        table, pcols = cell_table(g)
        placed = placed_columns(g)
        # Only a table with an unstable cell gives the column room.
        shaky = bool(g["unstable"].any())
        head = "".join(f"<th>{_e(c[2:])}</th>" for c in pcols)
        head += "<th>CPUs</th><th>migrations</th>" if placed else ""
        parts.append("<table><tr><th class='l'>runner</th><th>workers</th>" + head +
                     "<th>ok</th><th>median ms</th><th>spread (IQR)</th><th>ops/s</th><th>GB/s</th><th>p50 µs</th>"
                     "<th>p99 µs</th><th>PSS/worker MiB</th><th>time vs best</th>"
                     + ("<th class='l'>stability</th>" if shaky else "") + "</tr>")
        for r in table.itertuples():
            spread = (r.wall_s_q3 - r.wall_s_q1) / r.wall_s * 100 if r.n_ok and r.wall_s else float("nan")
            pvals = "".join(f"<td>{_e(getattr(r, c))}</td>" for c in pcols)
            if placed:
                pvals += f"<td>{_e(r.cpus)}</td><td>{_num(r.cpu_migrations, '{:,.0f}')}</td>"
            parts.append(
                f"<tr><td class='l'><span class='dot' style='background:{colour(r.variant)}'></span>{_e(r.variant)}</td>"
                f"<td>{r.workers}</td>{pvals}<td>{_e(repetitions(r))}</td><td>{_num(r.wall_s * 1e3, '{:.2f}')}</td>"
                f"<td>{_num(spread, '±{:.1f}%')}</td><td>{_num(r.ops_per_s, '{:,.0f}')}</td>"
                f"<td>{_num(r.bytes_per_s / 1e9 if r.bytes_per_s == r.bytes_per_s else np.nan, '{:.3f}')}</td>"
                f"<td>{_num(r.lat_p50_us, '{:.2f}')}</td><td>{_num(r.lat_p99_us, '{:.2f}')}</td>"
                f"<td>{_num(r.pss_bytes / r.workers / 2**20 if r.pss_bytes == r.pss_bytes else np.nan, '{:.1f}')}</td>"
                f"<td>{_num(r.ratio, '{:.2f}x')}</td>"
                + (f"<td class='l'>{_e(unstable_note(r))}</td>" if shaky else "") + "</tr>")
        parts.append("</table>")
        if scenario == "redis":
            parts.append(seed004_html(g, run.env))
    bad = run.not_ok
    if len(bad):
        parts.append("<h2>Rows that are not ok</h2><p class='muted'>Never plotted as numbers.</p><table>"
                     "<tr><th class='l'>cell</th><th>placement</th><th>repetitions</th><th class='l'>status</th>"
                     "<th class='l'>reason</th></tr>")
        for (cell, placement, status, message), g in bad.groupby(["cell", "p_placement", "status", "message"],
                                                                 sort=False):
            parts.append(f"<tr><td class='l'>{_e(cell)}</td><td>{_e(placement)}</td><td>{len(g)}</td>"
                         f"<td class='l'>{_e(status)}</td><td class='l'>{_e(message)}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Claims</h2>")
    for claim, v in verdicts:
        source = f"seed {claim.seed}" if claim.seed else "raised by measuring, not by a seed"
        parts.append(f"<div class='claim' id='{claim.id}' style='border-color:{VERDICT_COLOURS[v.verdict]}'>"
                     f"<b>{claim.id}</b> {_badge(v.verdict)} {_e(claim.text)} <span class='muted'>({source}; "
                     f"tested by {_e(claim.test)})</span><p>{_e(v.evidence)}</p></div>")
    if compare is not None:
        parts.append(compare_html(cells, compare))
    parts.append("</body></html>")
    return "\n".join(parts)


def seed004_html(cells, env):
    """Seed 004's table (the TTL scan by threads and by processes) with this run's numbers beside it."""
    parts = []
    for label, rows in seed004_tables(cells):
        cols = _seed004_columns(rows)
        parts.append(f"<h3>Seed 004's table, measured here: redis ttl_scan, {_e(_with_placement(label, cells))}</h3>"
                     "<table><tr>" + "".join(f"<th>{_e(head)}</th>" for head, _, _ in cols) + "</tr>")
        for r in rows:
            parts.append("<tr>" + "".join(f"<td>{_num(r[key], fmt)}</td>" for _, key, fmt in cols) + "</tr>")
        python = ""
        if has_python(rows):
            on = f", on Python {python_text(env['python'])}" if isinstance(env.get("python"), dict) else ""
            python = f" py-thread and py-process are the Python runners, the seed's own kind of worker{_e(on)}."
        parts.append("</table><p class='muted'>Threads are pthread, processes fork; memory is the PSS of every process "
                     "of the cell (shared pages divided among their sharers), and for the Python runners also their "
                     f"peak resident memory summed, as the seed's figures count it.{python} The seed: Python, 235,073 "
                     "keys against a remote Redis; threads 30-50 MB in all, processes about 25 MB each.</p>")
    return "\n".join(parts)


def _with_placement(label, cells):
    """A seed 004 table's label with where its workers ran: in the label where the tables are split
    by placement, else the one placement of the run's ttl_scan cells."""
    if "placement=" in label:
        return label
    ttl = cells[(cells["scenario"] == "redis") & (cells["n_ok"] > 0)]
    ttl = ttl[ttl["p_op"] == "ttl_scan"] if "p_op" in ttl else ttl
    return f"{label}, placement={placements(ttl)[0]}"


def _seed004_columns(rows):
    """[(heading, row key, format)] of a seed 004 table: the Python runners' columns only where they ran."""
    cols = [("workers", "workers", "{}"), ("threads s", "threads_s", "{:.3g}"),
            ("processes s", "processes_s", "{:.3g}"),
            ("threads MiB in all", "threads_mib", "{:.1f}"), ("processes MiB in all", "processes_mib", "{:.1f}")]
    if has_python(rows):
        cols += [("py-thread s", "py_threads_s", "{:.3g}"), ("py-process s", "py_processes_s", "{:.3g}"),
                 ("py-thread MiB in all", "py_threads_mib", "{:.1f}"),
                 ("py-process MiB in all", "py_processes_mib", "{:.1f}"),
                 ("py-thread RSS MiB", "py_threads_rss_mib", "{:.1f}"),
                 ("py-process RSS MiB", "py_processes_rss_mib", "{:.1f}")]
    return cols + [("seed: threads s", "seed_threads_s", "{:.0f}"), ("seed: processes s", "seed_processes_s", "{:.0f}"),
                   ("seed: threads MB", "seed_threads_mb", "{:.0f}"),
                   ("seed: processes MB", "seed_processes_mb", "{:.0f}")]


def compare_rows(cells, other_cells):
    both = cells.merge(other_cells, on="cell", suffixes=("", "_other"))
    both = both[(both["n_ok"] > 0) & (both["n_ok_other"] > 0)]
    return both.assign(change=(both["wall_s"] / both["wall_s_other"] - 1) * 100)


def compare_html(cells, other):
    other_run, other_cells = other
    rows = compare_rows(cells, other_cells)
    parts = [f"<h2>Compared with {_e(other_run.path)}</h2><p class='muted'>Median wall time of each cell in both runs; "
             f"a negative change is faster here. Host there: {_e(other_run.env.get('host', '?'))}, "
             f"{_e(other_run.env.get('cpu_model', '?'))}.</p><table><tr><th class='l'>cell</th><th>this run ms</th>"
             "<th>other run ms</th><th>change</th></tr>"]
    for r in rows.itertuples():
        parts.append(f"<tr><td class='l'>{_e(r.cell)}</td><td>{r.wall_s * 1e3:.2f}</td><td>{r.wall_s_other * 1e3:.2f}</td>"
                     f"<td>{r.change:+.1f}%</td></tr>")
    parts.append("</table>")
    return "\n".join(parts)


def markdown_report(run, cells, verdicts):
    python = ""
    if "python" in run.env:
        py = run.env["python"]
        python = f", Python {python_text(py)}" if isinstance(py, dict) else ", no usable Python"
    lines = [f"# versus report: {run.path}", "",
             f"{run.env.get('cpu_model', 'unknown CPU')}, {run.env.get('logical_cores', '?')} cores, "
             f"host {run.env.get('host', '?')}{python}; {len(run.rows)} rows, {len(cells)} cells, "
             f"{len(run.not_ok)} not ok.", ""]
    aside = set_aside_sentence(run)
    if aside:
        lines += [aside, ""]
    notes = spectrum_notes(cells)
    if notes:
        lines += [f"- {note}" for note in notes] + [""]
    lines += ["## Claims", "", "| id | verdict | evidence |", "| --- | --- | --- |"]
    for claim, v in verdicts:
        lines.append(f"| {claim.id} | {v.verdict} | {v.evidence.replace('|', '/')} |")
    lines += baseline.markdown(run.baseline)
    for label, rows in seed004_tables(cells):
        cols = _seed004_columns(rows)
        lines += ["", f"## Seed 004's table, measured here: redis ttl_scan, {_with_placement(label, cells)}", "",
                  "| " + " | ".join(head.replace(" in all", "").replace(":", "") for head, _, _ in cols) + " |",
                  "|" + " --- |" * len(cols)]
        for r in rows:
            lines.append("| " + " | ".join(_num(r[key], fmt) for _, key, fmt in cols) + " |")
    # The placement has a column of its own: cells from before the parameter do not name it.
    shaky = bool(cells["unstable"].any())
    lines += ["", "## Cells", "", "| cell | placement | ok | median ms | ops/s |" + (" stability |" if shaky else ""),
              "| --- | --- | --- | --- | --- |" + (" --- |" if shaky else "")]
    for r in cells.itertuples():
        lines.append(f"| {r.cell} | {r.p_placement} | {repetitions(r)} | {_num(r.wall_s * 1e3, '{:.2f}')} | "
                     f"{_num(r.ops_per_s, '{:,.0f}')} |" + (f" {unstable_note(r)} |" if shaky else ""))
    return "\n".join(lines) + "\n"


__all__ = ["html_report", "markdown_report", "claims_mod"]
