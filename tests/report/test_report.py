"""Tests of scripts/report.py and the versus_report package over the fixtures in tests/fixtures."""

import copy
import os
import re
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import report  # noqa: E402
from versus_report import claims, data  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")


class ReportFiles(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="versus-report-")

    def tearDown(self):
        shutil.rmtree(self.out)

    def test_every_expected_plot_is_a_valid_image(self):
        _, figures, _ = report.build(os.path.join(FIXTURES, "run_a"), self.out)
        # selftest has no ok row in the fixture: nothing of it is plotted.
        self.assertEqual(set(figures), {"cpu_speedup", "ipc_throughput", "ipc_latency_4096", "spawn_create_0",
                                        "spawn_alive", "switch_none_block", "sync_counter_2"})
        for name in figures:
            png = os.path.join(self.out, "plots", name + ".png")
            with open(png, "rb") as f:
                head = f.read(8)
            self.assertEqual(head, b"\x89PNG\r\n\x1a\n", png)
            self.assertGreater(os.path.getsize(png), 5000, png)
            svg = ET.parse(os.path.join(self.out, "plots", name + ".svg")).getroot()
            self.assertTrue(svg.tag.endswith("svg"))

    def test_html_is_self_contained_and_lists_rows_that_are_not_ok(self):
        html_path, figures, _ = report.build(os.path.join(FIXTURES, "run_a"), self.out)
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        sources = re.findall(r'(?:src|href)="([^"]*)"', text) + re.findall(r"(?:src|href)='([^']*)'", text)
        self.assertGreaterEqual(len([s for s in sources if s.startswith("data:image/png;base64,")]), len(figures))
        ids = set(re.findall(r"id='([^']+)'", text))
        for s in sources:
            if s.startswith("#"):
                self.assertIn(s[1:], ids, f"link {s} points nowhere")
            else:
                self.assertTrue(s.startswith("data:"), f"{s[:60]} is a resource outside the file")
        self.assertIn("killed by signal SIGSEGV", text)
        self.assertIn("msgsize_max", text)
        self.assertTrue(os.path.exists(os.path.join(self.out, "report.md")))

    def test_merged_two_machine_file(self):
        html_path, figures, _ = report.build(os.path.join(FIXTURES, "merged"), self.out)
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("hosts: alpha, beta", text)
        self.assertIn("cpu_speedup_1200000", figures)
        self.assertIn("cpu_speedup_1200001", figures)

    def test_compare_sets_two_runs_side_by_side(self):
        html_path, _, _ = report.build(os.path.join(FIXTURES, "run_a"), self.out, os.path.join(FIXTURES, "merged"))
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("Compared with", text)
        self.assertRegex(text, r"<td>[+-]\d+\.\d%</td>")

    def test_bad_input_names_the_file(self):
        bad = os.path.join(self.out, "results.csv")
        with open(bad, "w") as f:
            f.write("cell,scenario\nx,y\n")
        with self.assertRaisesRegex(data.ResultsError, "results.csv: missing columns"):
            data.load_run(self.out)
        with self.assertRaisesRegex(data.ResultsError, "no such file"):
            data.load_run(os.path.join(self.out, "nowhere"))


class ClaimVerdicts(unittest.TestCase):
    """Each rule follows the numbers: change a number, the verdict changes."""

    @classmethod
    def setUpClass(cls):
        cls.results = data.load_run(os.path.join(FIXTURES, "run_a"))

    def verdict(self, claim_id, rows=None):
        cells = data.summarise(self.results.rows if rows is None else rows)
        rule = next(c for c in claims.CLAIMS if c.id == claim_id).rule
        return rule(cells, self.results.env)

    def scaled(self, scenario, runner, column, factor, where=None):
        rows = copy.deepcopy(self.results.rows)
        mask = (rows["scenario"] == scenario) & (rows["runner"] == runner)
        if where is not None:
            mask &= where(rows)
        rows.loc[mask, column] = rows.loc[mask, column] * factor
        return rows

    def test_c4_processes_scale(self):
        v = self.verdict("C4")
        self.assertEqual(v.verdict, "holds")
        self.assertIn("fork 1.85x", v.evidence)
        slow_fork = self.scaled("cpu", "fork", "wall_s", 2.0)
        self.assertNotEqual(self.verdict("C4", slow_fork).verdict, "holds")

    def test_c17_plateau(self):
        self.assertEqual(self.verdict("C17").verdict, "holds")
        faster = self.scaled("cpu", "fork", "wall_s", 0.5, lambda r: r["workers"] == 4)
        self.assertEqual(self.verdict("C17", faster).verdict, "does not hold")

    def test_c7_shm_fastest(self):
        self.assertEqual(self.verdict("C7").verdict, "holds")
        slow_shm = copy.deepcopy(self.results.rows)
        mask = slow_shm["params"].str.contains("channel=shm")
        slow_shm.loc[mask, "bytes_per_s"] /= 10
        self.assertNotEqual(self.verdict("C7", slow_shm).verdict, "holds")

    def test_c6_processes_and_threads(self):
        self.assertEqual(self.verdict("C6").verdict, "does not hold")  # the fixture's fork is 3% slower
        slow = copy.deepcopy(self.results.rows)
        mask = (slow["runner"] == "fork") & (slow["scenario"] == "ipc")
        slow.loc[mask, "bytes_per_s"] /= 2
        self.assertEqual(self.verdict("C6", slow).verdict, "holds")

    def test_c8_batching(self):
        self.assertEqual(self.verdict("C8").verdict, "holds")
        flat = copy.deepcopy(self.results.rows)
        big = flat["params"].str.contains("msg_size=1048576")
        flat.loc[big, "bytes_per_s"] /= 1.6
        self.assertEqual(self.verdict("C8", flat).verdict, "does not hold")

    def test_c1_process_creation(self):
        v = self.verdict("C1")
        self.assertEqual(v.verdict, "holds")
        self.assertIn("fork 110.0 µs", v.evidence)
        cheap = self.scaled("spawn", "fork", "wall_s", 15 / 110)
        cheap["ops_per_s"] = cheap["ops"] / cheap["wall_s"]
        self.assertEqual(self.verdict("C1", cheap).verdict, "does not hold")

    def test_c9_lost_updates(self):
        self.assertEqual(self.verdict("C9").verdict, "holds")
        kept = copy.deepcopy(self.results.rows)
        kept.loc[kept["scenario"] == "sync", "lost_updates"] = 0
        self.assertEqual(self.verdict("C9", kept).verdict, "does not hold")

    def test_c11_pool(self):
        self.assertEqual(self.verdict("C11").verdict, "holds")

    def test_claims_without_data_say_what_would_answer(self):
        cells = data.summarise(self.results.rows)
        for claim, v in claims.judge(cells, self.results.env):
            self.assertIn(v.verdict, ("holds", "does not hold", "depends", "no data"))
            if v.verdict == "no data":
                self.assertTrue(v.evidence)
        self.assertEqual(len(claims.CLAIMS), 17)


if __name__ == "__main__":
    unittest.main()
