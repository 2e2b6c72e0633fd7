"""Tests of scripts/report.py and the versus_report package over the fixtures in tests/fixtures."""

import copy
import csv
import os
import re
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import fixture_reports  # noqa: E402
import report  # noqa: E402
from versus_report import claims, data, plots, plots_io, render  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")


class ReportFiles(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="versus-report-")

    def tearDown(self):
        shutil.rmtree(self.out)

    def test_every_expected_plot_is_a_valid_image(self):
        _, figures, out = fixture_reports.built("run_a")
        # selftest has no ok row in the fixture: nothing of it is plotted.
        self.assertEqual(set(figures), {"cpu_speedup", "ipc_throughput", "ipc_latency_4096", "spawn_create_0",
                                        "spawn_alive", "switch_none_block", "sync_counter_2",
                                        "redis_throughput", "redis_latency", "redis_memory", "redis_ttl_scan_0",
                                        "redis_ttl_scan_1000", "mux_event_cost", "mux_setup", "mux_memory",
                                        "mux_syscalls"})
        for name in figures:
            png = os.path.join(out, "plots", name + ".png")
            with open(png, "rb") as f:
                head = f.read(8)
            self.assertEqual(head, b"\x89PNG\r\n\x1a\n", png)
            self.assertGreater(os.path.getsize(png), 5000, png)
            svg = ET.parse(os.path.join(out, "plots", name + ".svg")).getroot()
            self.assertTrue(svg.tag.endswith("svg"))

    def test_html_is_self_contained_and_lists_rows_that_are_not_ok(self):
        html_path, figures, out = fixture_reports.built("run_a")
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
        self.assertTrue(os.path.exists(os.path.join(out, "report.md")))

    def test_seed_004_table_sits_under_redis(self):
        html_path, _, out = fixture_reports.built("run_a")
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        redis = text[text.index("<h2>Scenario redis</h2>"):]
        table = redis[redis.index("Seed 004's table, measured here: redis ttl_scan, delay_us=1000"):]
        table = table[:table.index("</table>")]
        # workers 128: pthread 0.23 s, fork 0.226 s, the seed's threads 161 s and 50 MB, and no
        # processes figure.
        self.assertRegex(table, r"<tr><td>128</td><td>0.23</td><td>0.226</td><td>11.7</td><td>201.5</td>"
                                r"<td>161</td><td></td><td>50</td><td></td></tr>")
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            self.assertIn("| 8 | 2.67 | 2.66 | 3.7 | 15.5 | 855 | 800 | 30 | 230 |", f.read())

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

    def test_columns_are_read_by_name(self):
        with open(os.path.join(FIXTURES, "run_a", "results.csv"), newline="") as f:
            reader = csv.DictReader(f)
            header, rows = reader.fieldnames, list(reader)
        # Reversed, without two measures (as results older than them are), and with a column the
        # report does not know.
        columns = [c for c in reversed(header) if c not in ("setup_s", "syscalls")] + ["colour"]
        with open(os.path.join(self.out, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            w.writeheader()
            w.writerows(dict(r, colour="red") for r in rows)
        want = data.load_run(os.path.join(FIXTURES, "run_a")).rows
        got = data.load_run(self.out).rows
        for c in header:
            if c in ("setup_s", "syscalls"):
                self.assertTrue(got[c].isna().all(), c)
            elif c in data.TEXT_COLUMNS:
                self.assertEqual(got[c].tolist(), want[c].tolist(), c)
            else:
                np.testing.assert_array_equal(got[c].to_numpy(), want[c].to_numpy(), c)
        self.assertEqual(set(got["variant"]), set(want["variant"]))

    def test_bad_input_names_the_file(self):
        bad = os.path.join(self.out, "results.csv")
        with open(bad, "w") as f:
            f.write("cell,scenario\nx,y\n")
        with self.assertRaisesRegex(data.ResultsError, "results.csv:1: not a results.csv header"):
            data.load_run(self.out)
        with self.assertRaisesRegex(data.ResultsError, "no such file"):
            data.load_run(os.path.join(self.out, "nowhere"))


class IoPlots(unittest.TestCase):
    """What the redis and mux plots draw, read back from the figures."""

    @classmethod
    def setUpClass(cls):
        run = data.load_run(os.path.join(FIXTURES, "run_a"))
        cls.cells, cls.env = data.summarise(run.rows), run.env

    def tearDown(self):
        plots_io.plt.close("all")

    def lines(self, ax):
        """{label: the data line} of plain lines and of lines drawn with error bars."""
        out = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
        out.update({c.get_label(): c.lines[0] for c in ax.containers if hasattr(c, "lines")})
        return out

    def test_a_variant_keeps_its_colour_across_interpreters(self):
        # Python salts str hashes per process: a colour taken from hash() changes between reports.
        import subprocess
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from versus_report import plot_style; "
                "print(plot_style.colour('uring-sqpoll x3'), plot_style.colour('fiber x2 threads'))")
        seen = {subprocess.run([sys.executable, "-c", code, os.path.join(ROOT, "scripts")], check=True,
                               capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED=seed)).stdout
                for seed in ("1", "2", "3", "4")}
        self.assertEqual(len(seen), 1, seen)

    def test_runner_variants_are_told_apart(self):
        self.assertEqual(data.runner_variant("epoll", {"trigger": "edge", "loop_threads": "1"}), "epoll (edge)")
        self.assertEqual(data.runner_variant("epoll", {"trigger": "level", "loop_threads": "1"}), "epoll")
        self.assertEqual(data.runner_variant("io_uring", {"uring_wait": "poll"}), "io_uring (poll)")
        self.assertEqual(data.runner_variant("epoll", {"loop_threads": "2"}), "epoll x2 loops")
        self.assertEqual(data.runner_variant("fiber", {"fiber_threads": "2", "fiber_poller": "io_uring"}),
                         "fiber x2 threads (io_uring)")

    def test_mux_event_cost_is_ns_per_event_on_log_axes_with_select_refusals_marked(self):
        [(_, _, fig)] = plots_io.mux_event_cost(self.cells, self.env)
        ax = fig.axes[0]
        self.assertEqual((ax.get_xscale(), ax.get_yscale()), ("log", "log"))
        self.assertIn("(ns)", ax.get_ylabel())
        self.assertIn("active=1", ax.get_title())
        poll = self.lines(ax)["poll"]
        self.assertEqual(list(poll.get_xdata()), [10, 100, 500, 1000, 10000])
        self.assertAlmostEqual(poll.get_ydata()[-1], 420000, delta=420000 * 0.01)
        self.assertEqual(list(self.lines(ax)["select"].get_xdata()), [10, 100, 500])
        self.assertIn("epoll (edge)", self.lines(ax))
        marks = [c for c in ax.collections if c.get_label() == "select: not run (x)"]
        self.assertEqual(sorted(x for x, _ in marks[0].get_offsets()), [1000, 10000])

    def test_ttl_scan_compares_shapes_with_the_seed(self):
        figs = dict((name, fig) for name, _, fig in plots_io.redis_ttl_scan(self.cells, self.env))
        time_ax, shape_ax, mem_ax = figs["redis_ttl_scan_1000"].axes
        seed = self.lines(shape_ax)["threads, seed 004"]
        self.assertAlmostEqual(seed.get_ydata()[-1], 161 / 855)
        here = self.lines(shape_ax)["pthread, here"]
        self.assertAlmostEqual(here.get_ydata()[-1], 0.23 / 2.67, places=2)
        self.assertAlmostEqual(self.lines(mem_ax)["fork"].get_ydata()[-1], 201.5, delta=0.5)

    def test_redis_memory_per_connection(self):
        [(_, _, fig)] = plots_io.redis_memory(self.cells, self.env)
        per = fig.axes[1]
        self.assertIn("KiB", per.get_ylabel())
        fork = self.lines(per)["fork"]
        # fork at 100 connections: 3.1 MiB + 1.55 MiB each, divided by 100.
        self.assertAlmostEqual(fork.get_ydata()[-1], (3.1 + 155) * 1024 / 100, delta=20)

    def test_no_rows_no_io_plots(self):
        cells = self.cells[~self.cells["scenario"].isin(["redis", "mux"])]
        for plot in plots_io.PLOTS_IO:
            self.assertEqual(plot(cells, self.env), [], plot.__name__)


class ClaimVerdicts(unittest.TestCase):
    """Each rule follows the numbers: change a number, the verdict changes."""

    @classmethod
    def setUpClass(cls):
        cls.results = data.load_run(os.path.join(FIXTURES, "run_a"))
        # The fixture's own cells, summarised once: most tests read them before changing a number.
        cls.cells = data.summarise(cls.results.rows)

    def verdict(self, claim_id, rows=None):
        cells = self.cells if rows is None else data.summarise(rows)
        rule = next(c for c in claims.CLAIMS if c.id == claim_id).rule
        return rule(cells, self.results.env)

    def scaled(self, scenario, runner, column, factor, where=None):
        rows = copy.deepcopy(self.results.rows)
        mask = (rows["scenario"] == scenario) & (rows["runner"] == runner)
        if where is not None:
            mask &= where(rows)
        rows.loc[mask, column] = rows.loc[mask, column] * factor
        return rows

    def test_claims_without_their_scenario_say_no_data(self):
        # The quick preset has no sync, spawn or switch rows, but parameters of other scenarios
        # (ipc's mode) share their names: the claims must still find their own rows missing.
        rows = self.results.rows
        quick = rows[rows["scenario"].isin(["cpu", "ipc", "redis", "mux"])]
        # As loaded from such a run: no parameter columns of the absent scenarios.
        quick = quick.drop(columns=[c for c in quick.columns if c.startswith("p_") and quick[c].isna().all()])
        for claim_id in ("C1", "C2", "C9", "C10", "C11"):
            self.assertEqual(self.verdict(claim_id, quick).verdict, "no data", claim_id)

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

    def rate(self, scenario, runner, factor, where=None):
        return self.scaled(scenario, runner, "ops_per_s", factor, where)

    def without(self, rows, mask):
        return rows[~mask(rows)].reset_index(drop=True)

    def test_c5_ttl_scan(self):
        v = self.verdict("C5")
        self.assertEqual(v.verdict, "depends")  # sooner with the server's delay, not without it
        self.assertIn("delay_us=1000: at 8/16/64/128 workers pthread 2.67/1.35/0.357/0.23 s", v.evidence)
        self.assertIn("fork 201.5 MiB (1.57 MiB per process)", v.evidence)
        no_wait = lambda r: (r["scenario"] == "redis") & r["params"].str.contains("op=ttl_scan") & \
            r["params"].str.contains("delay_us=0;")
        waiting_only = self.without(self.results.rows, no_wait)
        self.assertEqual(self.verdict("C5", waiting_only).verdict, "holds")
        slow = self.scaled("redis", "pthread", "wall_s", 4.0, lambda r: r["workers"] == 128)
        self.assertEqual(self.verdict("C5", slow).verdict, "does not hold")

    def test_c12_loops_with_few_connections(self):
        v = self.verdict("C12")
        # redis: loops no faster at 1 connection; mux: a thread per descriptor loses even at 10.
        self.assertEqual(v.verdict, "depends")
        self.assertIn("1.05x at 1 connection (io_uring), 2.56x at 1000", v.evidence)
        fast_mux_threads = self.rate("mux", "pthread", 6.0)
        self.assertEqual(self.verdict("C12", fast_mux_threads).verdict, "holds")
        slow_one = self.rate("redis", "pthread", 0.5, lambda r: r["workers"] == 1)
        self.assertEqual(self.verdict("C12", slow_one).verdict, "does not hold")

    def test_c13_scan_cost(self):
        v = self.verdict("C13")
        self.assertEqual(v.verdict, "holds")
        self.assertIn("poll 14.5 -> 420.0 µs at 10 -> 10000 fds (29.0x)", v.evidence)
        self.assertIn("select refused fds=1000", v.evidence)
        grows = self.rate("mux", "epoll", 0.2, lambda r: r["params"].str.contains("fds=10000;"))
        self.assertEqual(self.verdict("C13", grows).verdict, "depends")
        past = copy.deepcopy(self.results.rows)
        refused = (past["runner"] == "select") & (past["status"] == "unsupported")
        past.loc[refused, ["status", "message"]] = ["ok", ""]
        past.loc[refused, "ops_per_s"] = 20000 / 0.3
        self.assertEqual(self.verdict("C13", past).verdict, "depends")
        no_scanners = self.without(self.results.rows, lambda r: r["runner"].isin(["select", "poll"]))
        self.assertEqual(self.verdict("C13", no_scanners).verdict, "no data")

    def test_c14_thread_per_connection(self):
        v = self.verdict("C14")
        self.assertEqual(v.verdict, "depends")  # redis with the server's delay: pthread only 1.4x behind
        self.assertIn("mux active=1 at 10000: pthread takes 9.9x epoll's time per event and 34.6x its memory",
                      v.evidence)
        self.assertEqual(self.verdict("C14", self.rate("redis", "pthread", 0.5)).verdict, "holds")
        everywhere = self.rate("redis", "pthread", 10.0)
        everywhere.loc[everywhere["runner"] == "pthread", "ops_per_s"] *= 10
        self.assertEqual(self.verdict("C14", everywhere).verdict, "does not hold")
        refused = self.rate("redis", "pthread", 0.5)
        at_limit = (refused["runner"] == "pthread") & refused["params"].str.contains("fds=10000;")
        refused.loc[at_limit, ["status", "message"]] = ["unsupported", "pthread: 10000 threads past vm.max_map_count"]
        v = self.verdict("C14", refused)
        self.assertEqual(v.verdict, "holds")
        self.assertIn("pthread not run (pthread: 10000 threads past vm.max_map_count)", v.evidence)

    def test_c15_fibers_redis(self):
        v = self.verdict("C15")
        self.assertEqual(v.verdict, "holds")
        self.assertIn("fiber x2 threads 1.21x the replies/s of fibers on one thread", v.evidence)
        flat = copy.deepcopy(self.results.rows)
        two = flat["params"].str.contains("fiber_threads=2") & flat["params"].str.contains("delay_us=0;")
        flat.loc[two, "ops_per_s"] /= 1.21
        self.assertEqual(self.verdict("C15", flat).verdict, "depends")

    def with_crashes(self, fork_message, thread_message):
        """The run's rows and a selftest cell crashing on purpose under fork and under pthread."""
        rows = copy.deepcopy(self.results.rows)
        rows = rows[rows["scenario"] != "selftest"]
        extra = rows.iloc[:2].copy()
        extra["scenario"], extra["runner"], extra["workers"] = "selftest", ["fork", "pthread"], 4
        extra["cell"] = ["selftest/fork/workers:4/fault=crash", "selftest/pthread/workers:4/fault=crash"]
        extra["params"], extra["p_fault"], extra["repetition"] = "fault=crash", "crash", 0
        extra["status"], extra["message"] = "crashed", [fork_message, thread_message]
        for column in ("wall_s", "ops", "ops_per_s", "cpu_user_s", "cpu_sys_s"):
            extra[column] = np.nan
        return pd.concat([rows, extra], ignore_index=True)

    def test_c16_crash_reach(self):
        self.assertEqual(self.verdict("C16").verdict, "no data")
        fork = "worker 0 (pid 7) killed by signal SIGSEGV (Segmentation fault); the other 3 of 3 workers were still running"
        whole = "repetition process killed by signal SIGSEGV (Segmentation fault)"
        v = self.verdict("C16", self.with_crashes(fork, whole))
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertIn("among 4 processes", v.evidence)
        taken = fork.replace("the other 3 of 3", "the other 1 of 3")
        self.assertEqual(self.verdict("C16", self.with_crashes(taken, whole)).verdict, "does not hold")
        survived = "worker 0 (pid 8) killed by signal SIGSEGV (Segmentation fault)"
        self.assertEqual(self.verdict("C16", self.with_crashes(fork, survived)).verdict, "does not hold")

    def test_io_claims_without_rows_have_no_data(self):
        rows = self.without(self.results.rows, lambda r: r["scenario"].isin(["redis", "mux"]))
        for claim_id in ("C5", "C12", "C13", "C14"):
            self.assertEqual(self.verdict(claim_id, rows).verdict, "no data", claim_id)

    def test_claims_without_data_say_what_would_answer(self):
        cells = data.summarise(self.results.rows)
        for claim, v in claims.judge(cells, self.results.env):
            self.assertIn(v.verdict, ("holds", "does not hold", "depends", "no data"))
            if v.verdict == "no data":
                self.assertTrue(v.evidence)
        self.assertEqual(len(claims.CLAIMS), 19)


# Cells placed on CPUs (the cpus and cpu_migrations columns, a placement per cell) have a file of
# their own, which report.unit runs from here.
from test_placement import C18, Columns, LikeWithLike, Shown  # noqa: E402,F401


if __name__ == "__main__":
    unittest.main()
