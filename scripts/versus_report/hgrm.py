"""Latency histograms kept beside the results: a row's `histogram` column names a side file under
the results folder in HdrHistogram's percentile-distribution text format (values in µs), which
HdrHistogram's own plotters read as well:

           Value     Percentile TotalCount 1/(1-Percentile)

          31.000 0.000000000000          1           1.00
          ...
       20479.000 1.000000000000     100000
    #[Mean    =       52.125, StdDeviation   =      410.250]
    #[Max     =    20479.000, Total count    =       100000]
    #[Buckets =           22, SubBuckets     =         2048]

A side file that is missing or not in this format is never fatal to the report: with_spectra
leaves that cell without a spectrum and says why, naming the file and the line."""

import math
import os
import re
from dataclasses import dataclass

import pandas as pd

HEADER = ("Value", "Percentile", "TotalCount", "1/(1-Percentile)")
# The footer's fields, as HdrHistogram writes them: `#[Name = number, Name = number]`.
FOOTER_FIELD = re.compile(r"([A-Za-z][A-Za-z ]*?)\s*=\s*([^,\]]+)")


class HistogramError(Exception):
    """A side file that is not a percentile distribution: the message names the file, the line and
    what was expected there."""


@dataclass
class Spectrum:
    values_us: list       # latency at each percentile, ascending
    percentiles: list     # as fractions, 0 to 1, ascending
    total_count: int
    mean_us: float
    max_us: float


def read_hgrm(path):
    """The Spectrum of the file at path; HistogramError saying what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise HistogramError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise HistogramError(f"{path}: cannot be read: {getattr(e, 'strerror', None) or e}") from e
    return parse_hgrm(text, path)


def parse_hgrm(text, where):
    """The Spectrum of a percentile distribution's text; `where` names it in errors."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise HistogramError(f"{where}: empty; expected HdrHistogram's percentile distribution")
    if tuple(lines[first].split()) != HEADER:
        raise HistogramError(f"{where}:{first + 1}: expected the header `{' '.join(HEADER)}`, "
                             f"found {lines[first].strip()[:60]!r}")
    values, percentiles, counts, footer = [], [], [], {}
    for number, line in enumerate(lines[first + 1:], first + 2):
        if not line.strip():
            continue
        if line.startswith("#["):
            footer.update(_footer_fields(line, f"{where}:{number}"))
            continue
        if footer:
            raise HistogramError(f"{where}:{number}: a value after the footer (#[...] lines)")
        value, percentile, count = _data_line(line, f"{where}:{number}")
        if percentiles and (percentile < percentiles[-1] or value < values[-1] or count < counts[-1]):
            raise HistogramError(f"{where}:{number}: value, percentile and count must not fall from one line to "
                                 f"the next ({values[-1]:g} µs at {percentiles[-1]:g}, "
                                 f"then {value:g} at {percentile:g})")
        values.append(value)
        percentiles.append(percentile)
        counts.append(count)
    return _spectrum(values, percentiles, counts, footer, where)


def _data_line(line, where):
    """(value, percentile, total count) of one line: three or four numbers (the last line, at
    percentile 1, has no 1/(1-Percentile))."""
    fields = line.split()
    if len(fields) not in (3, 4):
        raise HistogramError(f"{where}: expected 3 or 4 numbers (value, percentile, total count, 1/(1-percentile)), "
                             f"found {len(fields)}: {line.strip()[:60]!r}")
    try:
        value, percentile, count = float(fields[0]), float(fields[1]), int(fields[2])
    except ValueError:
        raise HistogramError(f"{where}: not numbers: {line.strip()[:60]!r}") from None
    if not (math.isfinite(value) and value >= 0 and 0 <= percentile <= 1 and count >= 0):
        raise HistogramError(f"{where}: out of range: {line.strip()[:60]!r} (a value of 0 or more, a percentile "
                             "from 0 to 1, a count of 0 or more)")
    return value, percentile, count


def _footer_fields(line, where):
    fields = {name.strip(): text.strip() for name, text in FOOTER_FIELD.findall(line)}
    if not fields:
        raise HistogramError(f"{where}: a footer line without `name = number` fields: {line.strip()[:60]!r}")
    return fields


def _spectrum(values, percentiles, counts, footer, where):
    if not values:
        raise HistogramError(f"{where}: no values under the header")
    missing = [name for name in ("Mean", "Max", "Total count") if name not in footer]
    if missing:
        # Written last: a file without them was cut short.
        raise HistogramError(f"{where}: no {', '.join(missing)} in a `#[...]` footer (the file cut short?)")
    try:
        total, mean, most = int(footer["Total count"]), float(footer["Mean"]), float(footer["Max"])
    except ValueError:
        raise HistogramError(f"{where}: the footer's Mean, Max and Total count are not numbers: {footer}") from None
    if total != counts[-1]:
        raise HistogramError(f"{where}: the footer's Total count {total} is not the last line's count {counts[-1]}")
    return Spectrum(values, percentiles, total, mean, most)


def with_spectra(cells, folder):
    """cells with `spectrum` (a Spectrum, or None) and `spectrum_note` (why a cell whose `histogram`
    names a side file has none; "" otherwise), the side files read from under folder."""
    spectra, notes = [], []
    for cell, path in zip(cells["cell"], cells.get("histogram", pd.Series("", index=cells.index))):
        spectrum, note = None, ""
        if isinstance(path, str) and path:
            try:
                spectrum = read_hgrm(os.path.join(folder, path))
            except HistogramError as e:
                note = f"{cell}: no percentile spectrum: {e}"
        spectra.append(spectrum)
        notes.append(note)
    return cells.assign(spectrum=spectra, spectrum_note=notes)
