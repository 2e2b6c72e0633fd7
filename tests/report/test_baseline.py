"""The report's "harness overhead on this machine": a results folder's baseline.csv (written by
versus-baseline --csv) shown in the environment section of report.html and in report.md; a file
that is not versus-baseline's left out with a note; no section without one."""

import csv
import io
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import report  # noqa: E402
from versus_report import baseline  # noqa: E402

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "run_a")
ROWS = [
    {"what": "mux round, 100 pairs, 10 active, epoll", "placement": "same", "cpus": "0", "unit": "µs",
     "higher_is_better": "0", "versus": "8.7", "bare": "7.1", "ratio": "1.23", "versus_n": "5", "bare_n": "5",
     "note": ""},
    {"what": "pipe stream 64 KiB messages, processes", "placement": "spread", "cpus": "0-1", "unit": "GB/s",
     "higher_is_better": "1", "versus": "", "bare": "8.4", "ratio": "", "versus_n": "0", "bare_n": "5",
     "note": "versus: failed: a <made-up> reason"},
]


class Overhead(unittest.TestCase):
    def setUp(self):
        self.run_dir = tempfile.mkdtemp(prefix="versus-baseline-report-")
        for name in ("results.csv", "env.json"):
            shutil.copy(os.path.join(FIXTURE, name), self.run_dir)

    def tearDown(self):
        shutil.rmtree(self.run_dir)

    def write(self, columns, rows):
        with open(os.path.join(self.run_dir, baseline.FILE), "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=columns)
            w.writeheader()
            w.writerows(rows)

    def build(self):
        said = io.StringIO()
        with redirect_stderr(said):
            html_path, _, _ = report.build(self.run_dir)
        with open(html_path, encoding="utf-8") as f:
            html = f.read()
        with open(os.path.join(self.run_dir, "report.md"), encoding="utf-8") as f:
            md = f.read()
        return html, md, said.getvalue()

    def test_rows_are_shown_in_the_environment_section(self):
        self.write(baseline.COLUMNS, ROWS)
        html, md, said = self.build()
        env_at, overhead_at = html.index("<h2>Environment</h2>"), html.index(baseline.TITLE)
        self.assertLess(env_at, overhead_at)
        self.assertLess(overhead_at, html.index("<h2>", env_at + 1))  # before the next section
        for cell in ("mux round, 100 pairs, 10 active, epoll", "8.7", "7.1", "1.23", "spread", "0-1"):
            self.assertIn(f"<td class='l'>{cell}</td>", html)
        self.assertIn("a &lt;made-up&gt; reason", html)  # escaped
        self.assertIn("| mux round, 100 pairs, 10 active, epoll | same | 0 | 8.7 | 7.1 | µs | 1.23 |  |", md)
        self.assertIn("| pipe stream 64 KiB messages, processes | spread | 0-1 | - | 8.4 | GB/s | - |", md)
        self.assertEqual(said, "")

    def test_no_file_no_section(self):
        html, md, _ = self.build()
        self.assertNotIn(baseline.TITLE, html)
        self.assertNotIn(baseline.TITLE, md)

    def test_a_foreign_csv_is_left_out_with_a_note(self):
        self.write(["what", "figure"], [{"what": "x", "figure": "1"}])
        html, _, said = self.build()
        self.assertNotIn(baseline.TITLE, html)
        self.assertIn("baseline.csv: not versus-baseline's CSV (no column placement", said)


if __name__ == "__main__":
    unittest.main()
