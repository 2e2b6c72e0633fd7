"""Reading results.csv and env.json as versus writes them (reports/SCHEMA.md), and saying exactly
what is wrong with one that is not: the file, the line where there is one, and what was expected.
Everything a user can hand the report (a file from an interrupted run, a file of something else, a
hand-edited env.json) ends here as a ResultsError, so the report never meets it as a KeyError deep
in a plot."""

import csv
import io
import json

# Without these a row cannot be placed; measures may be missing from results older than them.
REQUIRED = ("cell", "scenario", "runner", "workers", "params", "repetition", "status")
# Fields a row is grouped by and labelled with: an empty one would make a cell of nothing.
NOT_EMPTY = ("cell", "scenario", "runner", "status")
WHOLE_NUMBERS = ("workers", "repetition")


class ResultsError(Exception):
    """Input that is not a versus results folder or file: the message says what and where."""


def read_text(path):
    """The file's text; a file that cannot be read or is not UTF-8 is bad input, said with its line."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ResultsError(f"{path}: cannot be read: {e.strerror}") from e
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ResultsError(f"{path}:{line}: not text versus wrote (byte {raw[e.start]:#04x} is not UTF-8)") from e


def read_results_csv(path):
    """(header, rows as lists of strings, notes): every row whole and placeable. A last line without
    its newline is a row cut short (a full disk, a kill mid-row): it is dropped and noted, as
    `versus run --resume` drops it."""
    text = read_text(path)
    if not text:
        raise ResultsError(f"{path}: empty; expected a results.csv header line (reports/SCHEMA.md)")
    records = list(_records(text, path))
    notes = []
    if not text.endswith("\n") and len(records) > 1:
        line, _ = records.pop()
        notes.append(f"{path}:{line}: the last line is incomplete (the run stopped mid-row?) and was skipped")
    (_, header), rows = records[0], records[1:]
    _check_header(header, path)
    for line, row in rows:
        _check_row(row, header, f"{path}:{line}")
    return header, [row for _, row in rows], notes


def _records(text, path):
    """(line it starts on, fields) of each record; a quoted field may span lines. Blank lines are
    skipped, as they hold no row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for fields in reader:
            if fields:
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as e:
        raise ResultsError(f"{path}:{start}: not CSV versus wrote: {e}") from e


def _check_header(header, path):
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ResultsError(f"{path}:1: not a results.csv header: no column {', '.join(missing)}; "
                           f"expected the columns of reports/SCHEMA.md ({','.join(REQUIRED)},...)")
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise ResultsError(f"{path}:1: column {', '.join(twice)} more than once in the header")


def _check_row(row, header, where):
    if len(row) != len(header):
        raise ResultsError(f"{where}: expected {len(header)} fields as in the header, found {len(row)}")
    field = dict(zip(header, row))
    for name in NOT_EMPTY:
        if not field[name]:
            raise ResultsError(f"{where}: {name} is empty; every row names its {name}")
    for name in WHOLE_NUMBERS:
        if not (field[name].isascii() and field[name].isdigit()):
            raise ResultsError(f"{where}: {name} is {field[name]!r}, expected a whole number")


# Keys of env.json the report reads inside of, with the JSON type each must have (None: null allowed).
ENV_SHAPES = {"logical_cores": (int, None), "libraries": (dict,), "python": (dict, None), "merged_from": (list,)}
JSON_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a whole number", float: "a number",
              bool: "true or false", type(None): "null"}


def read_env(path):
    """env.json's object. Empty is what a run stopped before writing it leaves; anything not an
    object of the shape versus writes is bad input too."""
    text = read_text(path)
    if not text.strip():
        raise ResultsError(f"{path}: empty; expected the JSON object `versus run` writes (an interrupted run?)")
    try:
        env = json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}:{e.lineno}: not JSON: {e.msg} (column {e.colno})") from e
    if not isinstance(env, dict):
        raise ResultsError(f"{path}: expected a JSON object, found {_json_name(env)}")
    for key, shapes in ENV_SHAPES.items():
        if key in env and not _has_shape(env[key], shapes):
            wanted = " or ".join(JSON_NAMES[type(None) if s is None else s] for s in shapes)
            raise ResultsError(f"{path}: \"{key}\" is {_json_name(env[key])}, expected {wanted}")
    if any(not isinstance(m, dict) for m in env.get("merged_from", [])):
        raise ResultsError(f"{path}: \"merged_from\" holds something other than objects, expected one per input")
    return env


def _has_shape(value, shapes):
    if value is None:
        return None in shapes
    # JSON's true is a Python bool, which is an int too: not a count of cores.
    return any(s is not None and isinstance(value, s) and not (s is int and isinstance(value, bool)) for s in shapes)


def _json_name(value):
    return JSON_NAMES.get(type(value), type(value).__name__)
