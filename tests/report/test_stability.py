"""Repetitions set aside for interference and cells whose repetitions disagree: the rule of
stability.py against the hand-worked tests/fixtures/stability (which versus's own summary reads
too), summaries taken from the clean rows, and results from before these columns."""

import csv
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from versus_report import data, stability  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
STABILITY = os.path.join(FIXTURES, "stability")
with open(os.path.join(FIXTURES, "run_a", "results.csv"), newline="") as _f:
    OLD_COLUMNS = next(csv.reader(_f))


def fixture_cell(runner, workers, placement):
    """The name of a cell of tests/fixtures/stability."""
    return (f"cpu/{runner}/workers:{workers}/array_bytes=201326592;chunk=1000;count=1200000;kernel=primes;passes=4;"
            f"placement={placement};split=static;start=1000000")


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results = data.load_run(STABILITY)
        cls.cells = data.summarise(cls.results.rows).set_index("cell")
        with open(os.path.join(STABILITY, "expected.csv"), newline="") as f:
            cls.expected = list(csv.DictReader(f))

    def test_the_header_is_the_schema_s(self):
        with open(os.path.join(ROOT, "reports", "SCHEMA.md"), encoding="utf-8") as f:
            schema = f.read()
        table = schema[schema.index("## results.csv"):schema.index("Columns are read by name")]
        documented = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
        with open(os.path.join(STABILITY, "results.csv"), newline="") as f:
            self.assertEqual(next(csv.reader(f)), documented)

    def test_every_cell_as_expected(self):
        self.assertEqual({e["cell"] for e in self.expected}, set(self.cells.index))
        for e in self.expected:
            rows = self.results.rows[self.results.rows["cell"] == e["cell"]]
            want = (e["unstable"] == "true", e["reason"])
            self.assertEqual(stability.cell_stability(rows), want, e["cell"])
            got = self.cells.loc[e["cell"]]
            self.assertEqual((bool(got["unstable"]), got["unstable_reason"]), want, e["cell"])

    def test_rows_set_aside_are_not_in_the_median(self):
        # Two of seven rows, ten times slower, set aside: with them the median would be 0.201 and
        # the upper quartile 1.1.
        cell = self.cells.loc[fixture_cell("fiber", 2, "spread")]
        self.assertEqual((cell["n"], cell["n_ok"], cell["n_set_aside"]), (7, 5, 2))
        self.assertAlmostEqual(cell["wall_s"], 0.200)
        self.assertAlmostEqual(cell["wall_s_q3"], 0.201)
        self.assertFalse(cell["unstable"])

    def test_a_cell_with_only_rows_set_aside_is_summarised_from_them(self):
        cell = self.cells.loc[fixture_cell("pthread", 2, "same")]
        self.assertEqual((cell["n"], cell["n_ok"], cell["n_set_aside"], cell["status"]), (6, 6, 6, "ok"))
        self.assertAlmostEqual(cell["wall_s"], 0.315)  # the median of the six set aside
        self.assertTrue(cell["unstable"])


class OlderResults(unittest.TestCase):
    """Results from before other_cpu_s, steal_s and interfered: nothing set aside, no interference."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="versus-stability-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_run_a_has_nothing_set_aside(self):
        run = data.load_run(os.path.join(FIXTURES, "run_a"))
        self.assertTrue(run.rows["interfered"].isna().all())
        cells = data.summarise(run.rows)
        self.assertEqual(int(cells["n_set_aside"].sum()), 0)
        ok = run.rows[run.rows["status"] == "ok"].groupby("cell").size()
        self.assertEqual(cells.set_index("cell").loc[ok.index, "n_ok"].tolist(), ok.tolist())

    def test_an_unstable_old_cell_names_no_interference(self):
        row = {c: "" for c in OLD_COLUMNS}
        params = "count=1000;kernel=primes"
        row.update(cell=f"cpu/fork/workers:2/{params}", scenario="cpu", runner="fork", workers=2, params=params,
                   status="ok", ops=1000, host="alpha")
        with open(os.path.join(self.dir, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=OLD_COLUMNS)
            w.writeheader()
            w.writerows(dict(row, repetition=i, wall_s=t) for i, t in enumerate((1.0, 1.5, 1.2)))
        cell = data.summarise(data.load_run(self.dir).rows).iloc[0]
        # Quartiles 1.1 and 1.35 about 1.2; no placement parameter reads as none.
        self.assertEqual((cell["n_ok"], cell["n_set_aside"]), (3, 0))
        self.assertEqual(cell["unstable_reason"], "spread 21% (placement none)")


if __name__ == "__main__":
    unittest.main()
