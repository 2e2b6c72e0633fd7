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

import report  # noqa: E402
from test_placement import HANDOVERS, PlacedRun, switch, throughput  # noqa: E402
from versus_report import claims, claims_base, data, plots, stability  # noqa: E402

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


class Shown(unittest.TestCase):
    """The report's tables and summary over the fixture: rows set aside counted, unstable cells marked."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="versus-stability-")
        html_path, _, _ = report.build(STABILITY, cls.dir)
        with open(html_path, encoding="utf-8") as f:
            cls.html = f.read()
        with open(os.path.join(cls.dir, "report.md"), encoding="utf-8") as f:
            cls.md = f.read()
        plots.plt.close("all")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_the_scenario_table_counts_rows_set_aside_and_marks_unstable_cells(self):
        cpu = self.html[self.html.index("<h2>Scenario cpu</h2>"):]
        cpu = cpu[:cpu.index("</table>")]
        self.assertIn("<th class='l'>stability</th>", cpu)
        self.assertRegex(cpu, r"fiber</td><td>2</td><td>spread</td>(<td>[^<]*</td>)*<td>5/7 \(2 set aside\)</td>"
                              r"(<td>[^<]*</td>)*<td class='l'></td></tr>")
        self.assertRegex(cpu, r"fork</td><td>2</td><td>none</td>(<td>[^<]*</td>)*<td>5/5</td>(<td>[^<]*</td>)*"
                              r"<td class='l'>unstable: two groups 2.20x apart \(placement none\)</td></tr>")
        self.assertIn("<td>6/6 (6 set aside)</td>", cpu)

    def test_the_markdown_cells_say_the_same(self):
        self.assertRegex(self.md, r"\| cpu/fiber/workers:2/[^|]*placement=spread[^|]* \| spread \| 5/7 \(2 set aside\) "
                                  r"\| 200.00 \| [^|]* \|  \|")
        self.assertRegex(self.md, r"\| cpu/fork/workers:2/[^|]*placement=spread[^|]* \| spread \| 5/5 \| 110.00 \| "
                                  r"[^|]* \| unstable: spread 22% \(migrations\) \|")

    def test_a_claim_its_unstable_cells_cannot_change_names_them_in_both(self):
        # C4's speedups (fork 1.82x, pthread 2.00x, fiber 1.00x) stay on their side of the rule's
        # lines with every unstable cell at either end of its middle half of repetitions.
        self.assertIn("<b>C4</b> <span class=\"badge\" style=\"background:#2e7d32\">holds</span>", self.html)
        self.assertRegex(self.html, r"id='C4'.*\(it read 4 unstable cells: .*\(spread 22% \(migrations\)\).*"
                                    r"it says the same\)</p>")
        self.assertRegex(self.md, r"\| C4 \| holds \| [^|]*\(it read 4 unstable cells: [^|]*placement=spread[^|]*"
                                  r"\(spread 22% \(migrations\)\)")

    def test_the_summary_says_how_many_were_set_aside_and_why(self):
        said = ("9 repetitions were set aside because something else used their CPUs past the interference limit "
                "(--interference-limit), and run again; they stay in results.csv")
        self.assertIn(said, self.html)
        self.assertIn(said, self.md)


def two_groups(rows, runner, placement, factor):
    """rows with the last repetition of one cell `factor` times slower: bimodal, its median unchanged."""
    out = []
    for r in rows:
        if r["runner"] == runner and f"placement={placement}" in r["params"] and r["repetition"] == 2:
            r = dict(r, wall_s=r["wall_s"] * factor, ops_per_s=r["ops_per_s"] / factor)
        out.append(r)
    return out


class UnstableClaims(PlacedRun):
    """A claim whose verdict rests on an unstable cell whose spread could change it says so; one
    the spread cannot change stands, naming the cell; cells it did not read do not count."""

    def judge(self, claim_id, run):
        return dict((c.id, v) for c, v in claims.judge(data.summarise(run.rows), run.env))[claim_id]

    def switch_with_two_groups(self, runner, placement):
        """C2 over the switch cells, `runner`'s at `placement` bimodal (one repetition 2.2x slower)."""
        return self.judge("C2", self.run_with(two_groups(switch(HANDOVERS), runner, placement, 2.2)))

    @staticmethod
    def named(runner):
        """How a verdict names `runner`'s bimodal switch cell at placement=same."""
        return (rf"1 unstable cell: switch/{runner}/workers:1/[^ ]*placement=same[^ ]* "
                r"\(two groups 2.20x apart \(cause unknown\)\)")

    def test_a_claim_reading_a_bimodal_cell_is_unstable_and_names_it(self):
        # pthread's hand-over at 1500 ns against fork's 2000: with pthread's slow group in its
        # middle half (2400 ns), processes no longer cost more than threads.
        v = self.switch_with_two_groups("pthread", "same")
        self.assertEqual(v.verdict, "unstable", v.evidence)
        self.assertRegex(v.evidence, rf"^rests on {self.named('pthread')}\. The rule would say holds: switch, one "
                                     r"hand-over, at placement=same")

    def test_a_verdict_the_spread_cannot_change_stands_and_names_the_unstable_cell(self):
        # fork's slower group only widens its lead over pthread, and fiber is cheapest either way.
        v = self.switch_with_two_groups("fork", "same")
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertRegex(v.evidence, rf"\(it read {self.named('fork')}; at the ends of their middle half of "
                                     r"repetitions it says the same\)$")

    def test_an_unstable_verdict_is_marked_in_both_report_formats(self):
        self.run_with(two_groups(switch(HANDOVERS), "pthread", "same", 2.2))
        out = os.path.join(self.dir, "report")
        html_path, _, _ = report.build(self.dir, out)
        with open(html_path, encoding="utf-8") as f:
            html = f.read()
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("<b>C2</b> <span class=\"badge\" style=\"background:#6a1b9a\">unstable</span>", html)
        self.assertRegex(md, rf"\| C2 \| unstable \| rests on {self.named('pthread')}")

    def test_a_rule_that_fails_on_the_moved_numbers_leaves_its_claim_unstable(self):
        run = self.run_with(two_groups(switch(HANDOVERS), "fork", "same", 2.2))
        cells = data.summarise(run.rows)
        bimodal = cells[(cells["runner"] == "fork") & cells["unstable"]]["cell"].iloc[0]
        as_measured = cells.loc[cells["cell"] == bimodal, "wall_s"].iloc[0]

        def rule(read, env):
            wall = read[read["cell"] == bimodal]["wall_s"].iloc[0]
            if wall != as_measured:
                raise ValueError("a number this rule never met")
            return claims_base.ClaimVerdict("holds", "as measured")
        v = claims_base.judged(rule, cells, run.env)
        self.assertEqual(v.verdict, "unstable", v.evidence)

    def test_an_unstable_cell_the_claim_did_not_read_leaves_it_alone(self):
        # C2 compares at placement=same; the bimodal cell is at spread, and pthread's, which at
        # same would make the claim unstable (above).
        v = self.switch_with_two_groups("pthread", "spread")
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertNotIn("unstable cell", v.evidence)

    def test_a_placement_that_did_not_answer_is_not_held_against_the_claim(self):
        # C6 looks at spread first, reads the one fork cell there, finds no pthread to set it
        # against and compares the scheduler's cells instead.
        rows = two_groups(throughput({("fork", "spread"): 1e9}), "fork", "spread", 2.2)
        v = self.judge("C6", self.run_with(rows))
        self.assertEqual(v.verdict, "does not hold", v.evidence)
        self.assertIn("placement=none", v.evidence)

    def test_every_rule_that_answers_is_seen_reading_cells(self):
        # Were a rule to read its numbers some way ReadCells does not see, no cell of it could mark
        # the claim unstable.
        run = self.run_with(switch(HANDOVERS))
        cells = data.summarise(run.rows)
        for claim in claims.CLAIMS:
            if claim.rule is None:
                continue
            read = claims_base.ReadCells(cells)
            read.reads = set()
            if claim.rule(read, run.env).verdict != "no data":
                self.assertTrue(read.reads, claim.id)
                self.assertTrue(read.reads <= set(cells["cell"]), claim.id)


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

    def test_a_report_without_rows_set_aside_or_unstable_cells_says_nothing_of_them(self):
        html_path, _, _ = report.build(os.path.join(FIXTURES, "run_a"), self.dir)
        plots.plt.close("all")
        with open(html_path, encoding="utf-8") as f:
            html = f.read()
        with open(os.path.join(self.dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        for text in (html, md):
            self.assertNotIn("set aside", text)
            self.assertNotIn("stability", text)


if __name__ == "__main__":
    unittest.main()
