"""Tests of scripts/report.py and the versus_report package over the fixtures in tests/fixtures."""

import copy
import csv
import json
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
from versus_report import claims, data, plots, plots_io, render  # noqa: E402

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
                                        "spawn_alive", "switch_none_block", "sync_counter_2",
                                        "redis_throughput", "redis_latency", "redis_memory", "redis_ttl_scan_0",
                                        "redis_ttl_scan_1000", "mux_event_cost", "mux_setup", "mux_memory",
                                        "mux_syscalls"})
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

    def test_seed_004_table_sits_under_redis(self):
        html_path, _, _ = report.build(os.path.join(FIXTURES, "run_a"), self.out)
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        redis = text[text.index("<h2>Scenario redis</h2>"):]
        table = redis[redis.index("Seed 004's table, measured here: redis ttl_scan, delay_us=1000"):]
        table = table[:table.index("</table>")]
        # workers 128: pthread 0.23 s, fork 0.226 s, the seed's threads 161 s and 50 MB, and no
        # processes figure.
        self.assertRegex(table, r"<tr><td>128</td><td>0.23</td><td>0.226</td><td>11.7</td><td>201.5</td>"
                                r"<td>161</td><td></td><td>50</td><td></td></tr>")
        with open(os.path.join(self.out, "report.md"), encoding="utf-8") as f:
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

    def test_bad_input_names_the_file(self):
        bad = os.path.join(self.out, "results.csv")
        with open(bad, "w") as f:
            f.write("cell,scenario\nx,y\n")
        with self.assertRaisesRegex(data.ResultsError, "results.csv: missing columns"):
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
        self.assertEqual(len(claims.CLAIMS), 17)


PY_ENV = {"executable": "/usr/bin/python3", "version": "3.11.2", "gil": True}
TTL = ("delay_us=1000;fault=none;keys=20000;op=ttl_scan;pipeline=1;requests=100000;scan_count=1000;server=embedded;"
       "value_size=32")
MIB = 2**20


def py_rows(scenario, runner, workers, params, wall_s, cpu_s=None, pss_mib=None, rss_mib=None, runner_params=None):
    """Three identical repetitions of a Python runner's cell, as the runner writes them."""
    defaults = "py_pool=pool;py_start=default;py_fault=none" if runner == "py-process" else "py_pool=pool;py_fault=none"
    params = params + ";" + (runner_params or defaults)
    row = {c: "" for c in data.COLUMNS}
    row.update(cell=f"{scenario}/{runner}/workers:{workers}/{params}", scenario=scenario, runner=runner,
               workers=workers, params=params, status="ok", wall_s=wall_s, ops=1000, ops_per_s=1000 / wall_s,
               host="alpha", cpu_user_s="" if cpu_s is None else cpu_s, cpu_sys_s="" if cpu_s is None else 0,
               pss_bytes="" if pss_mib is None else pss_mib * MIB,
               rss_peak_bytes="" if rss_mib is None else rss_mib * MIB)
    return [dict(row, repetition=i) for i in range(3)]


def gil_cpu(thread_wall_2=2.04, thread_cpu_2=2.06):
    """cpu on Python (fewer primes than the C++ cells): one worker 2 s; two processes nearly halve it."""
    p = "count=100000;kernel=primes;start=1000000"
    return (py_rows("cpu", "py-thread", 1, p, 2.0, 2.0) + py_rows("cpu", "py-thread", 2, p, thread_wall_2, thread_cpu_2)
            + py_rows("cpu", "py-process", 1, p, 2.02, 2.0) + py_rows("cpu", "py-process", 2, p, 1.05, 2.08)
            + py_rows("cpu", "py-thread", 8, p, 2.1, 2.1))


def alive(thread_mib=(12, 14), process_mib=(100, 212)):
    """spawn mode=alive at 4 and 16 workers: PSS in all (MiB) of py-thread and py-process."""
    p = "mode=alive;parent_heap_mb=0;rounds=50;worker_kb=0"
    out = []
    for w, t, pr in zip((4, 16), thread_mib, process_mib):
        out += py_rows("spawn", "py-thread", w, p, 0.01, pss_mib=t, rss_mib=t + 2)
        out += py_rows("spawn", "py-process", w, p, 0.05, pss_mib=pr, rss_mib=pr * 1.4)
    # A runner that omits parent_heap_mb has none: its cells still count.
    out += py_rows("spawn", "py-process", 16, "mode=alive;rounds=50;worker_kb=0", 0.4, pss_mib=400, rss_mib=420,
                   runner_params="py_pool=pool;py_start=spawn;py_fault=none")
    return out


def ttl_scan(thread_s=(30, 16, 5, 4), process_s=(29, 15, 4.5, 4.2)):
    out = []
    for w, t, p in zip((8, 16, 64, 128), thread_s, process_s):
        out += py_rows("redis", "py-thread", w, TTL, t, pss_mib=30 + w / 16, rss_mib=34 + w / 16)
        out += py_rows("redis", "py-process", w, TTL, p, pss_mib=25 * w + 12, rss_mib=26 * w + 20)
    return out


class PythonRunners(unittest.TestCase):
    """py-thread and py-process rows beside the C++ ones: variants, the claims about Python, the
    environment. Each run is the fixture plus synthetic Python cells, written and loaded as versus
    writes them."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="versus-python-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_with(self, rows, python=PY_ENV, keep=lambda r: True, cores=None):
        with open(os.path.join(FIXTURES, "run_a", "results.csv"), newline="") as f:
            fixture = [r for r in csv.DictReader(f) if keep(r)]
        with open(os.path.join(self.dir, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=data.COLUMNS)
            w.writeheader()
            w.writerows(fixture + rows)
        with open(os.path.join(FIXTURES, "run_a", "env.json")) as f:
            env = json.load(f)
        env["python"] = python
        env["logical_cores"] = cores or env["logical_cores"]
        with open(os.path.join(self.dir, "env.json"), "w") as f:
            json.dump(env, f)
        return data.load_run(self.dir)

    def verdict(self, claim_id, run):
        rule = next(c for c in claims.CLAIMS if c.id == claim_id).rule
        return rule(data.summarise(run.rows), run.env)

    def test_variants_name_start_method_pool_and_fault(self):
        v = data.runner_variant
        self.assertEqual(v("py-process", {"py_pool": "pool", "py_start": "default", "py_fault": "none"}), "py-process")
        self.assertEqual(v("py-process", {"py_pool": "pool", "py_start": "spawn"}), "py-process (spawn)")
        self.assertEqual(v("py-process", {"py_pool": "executor", "py_start": "forkserver"}),
                         "py-process (forkserver) (executor)")
        self.assertEqual(v("py-thread", {"py_pool": "executor"}), "py-thread (executor)")
        self.assertEqual(v("py-thread", {"py_pool": "pool", "py_fault": "kill"}), "py-thread (fault=kill)")
        self.assertEqual(v("py-asyncio", {}), "py-asyncio")
        # Runner parameters do not make a different scenario.
        self.assertEqual(data.scenario_key("count=1;py_pool=executor;py_start=spawn;py_fault=none"), (("count", "1"),))
        run = self.run_with(alive())
        self.assertIn("py-process (spawn)", set(run.rows["variant"]))

    def test_c4_python_threads_held_to_one_core(self):
        v = self.verdict("C4", self.run_with(gil_cpu()))
        self.assertEqual(v.verdict, "holds")
        self.assertIn("C++ (holds)", v.evidence)
        self.assertIn("fork 1.85x", v.evidence)
        self.assertIn("Python 3.11.2 with the GIL (holds): cpu (primes)", v.evidence)
        # At 2 workers (the cores), not 8: py-thread 2.0/2.04, CPU 2.06/2.04; py-process 2.0/1.05.
        self.assertIn("at 2 workers on 2 cores, against py-thread with one worker: py-thread 0.98x keeping 101% CPU "
                      "busy, py-process 1.90x (198% CPU)", v.evidence)
        # More Python workers than C++ ones on a larger machine: the C++ part still reads its own cells.
        wide = self.verdict("C4", self.run_with(gil_cpu(), cores=8))
        self.assertIn("C++ (does not hold): cpu (primes) at 4 workers on 8 cores: fork 1.83x", wide.evidence)
        no_cpp = lambda r: r["scenario"] != "cpu"
        only_python = self.verdict("C4", self.run_with(gil_cpu(), keep=no_cpp))
        self.assertEqual(only_python.verdict, "holds")
        self.assertTrue(only_python.evidence.startswith("Python 3.11.2 with the GIL: cpu (primes)"),
                        only_python.evidence)

    def test_c4_python_threads_that_scale_break_the_claim(self):
        free = dict(PY_ENV, version="3.13.0", gil=False)
        v = self.verdict("C4", self.run_with(gil_cpu(1.05, 2.1), free))
        self.assertEqual(v.verdict, "depends")  # C++ holds, this Python does not
        self.assertIn("Python 3.13.0 without the GIL (free-threaded) (does not hold)", v.evidence)
        self.assertIn("no GIL", v.evidence)
        only = self.verdict("C4", self.run_with(gil_cpu(1.05, 2.1), free, keep=lambda r: r["scenario"] != "cpu"))
        self.assertEqual(only.verdict, "does not hold")
        # Slower threads, but two cores kept busy: not the GIL's one core either.
        busy = self.verdict("C4", self.run_with(gil_cpu(2.04, 4.0), keep=lambda r: r["scenario"] != "cpu"))
        self.assertEqual(busy.verdict, "does not hold")
        none = self.verdict("C4", self.run_with([], keep=lambda r: r["scenario"] != "cpu"))
        self.assertEqual(none.verdict, "no data")
        self.assertIn("in Python, cpu (primes) with py-thread", none.evidence)

    def test_c3_python_memory_per_worker(self):
        v = self.verdict("C3", self.run_with(alive()))
        self.assertEqual(v.verdict, "depends")  # the fixture's C++ fork is cheap; Python processes are not
        cpp, py = v.evidence.split(" Python 3.11.2 with the GIL (")
        self.assertIn("C++ (depends)", cpp)
        self.assertNotRegex(cpp, r"py-(thread|process)")
        self.assertTrue(py.startswith("holds)"), py)
        # 16 alive: 14 MiB / 16 and 212 MiB / 16; the spawn-started pool without parent_heap_mb too.
        self.assertIn("16 alive: py-process 13.25 MiB PSS (18.55 MiB RSS), py-process (spawn) 25.00 MiB PSS",
                      v.evidence)
        self.assertIn("py-thread 0.88 MiB PSS (1.00 MiB RSS)", v.evidence)
        self.assertIn("about 25 MB per process", v.evidence)
        no_cpp = lambda r: not (r["scenario"] == "spawn" and not r["runner"].startswith("py-"))
        self.assertEqual(self.verdict("C3", self.run_with(alive(), keep=no_cpp)).verdict, "holds")
        cheap = self.verdict("C3", self.run_with(alive(process_mib=(13, 16)), keep=no_cpp))
        self.assertEqual(cheap.verdict, "depends")  # fork-started ~1x a thread, spawn-started still 28x
        self.assertIn("on the start method", cheap.evidence)

    def test_c5_python_ttl_scan_beside_the_seed(self):
        v = self.verdict("C5", self.run_with(ttl_scan()))
        self.assertEqual(v.verdict, "depends")  # C++ depends (no speedup without a delay); Python holds
        self.assertIn("Python 3.11.2 with the GIL (holds): redis ttl_scan: delay_us=1000: at 8/16/64/128 "
                      "workers py-thread 30/16/5/4 s, py-process 29/15/4.5/4.2 s", v.evidence)
        self.assertIn("py-process 3212.0 MiB (25.09 MiB per process)", v.evidence)
        self.assertEqual(v.evidence.count("seed 004:"), 1)
        run = self.run_with(ttl_scan())
        figs = {name: fig for name, _, fig in plots_io.redis_ttl_scan(data.summarise(run.rows), run.env)}
        shape = {line.get_label(): line for line in figs["redis_ttl_scan_1000"].axes[1].get_lines()}
        self.assertAlmostEqual(shape["py-thread, here"].get_ydata()[-1], 4 / 30)
        plots_io.plt.close("all")
        no_cpp = lambda r: not (r["scenario"] == "redis" and r["runner"] in ("pthread", "fork"))
        only = self.verdict("C5", self.run_with(ttl_scan(), keep=no_cpp))
        self.assertEqual(only.verdict, "holds")
        self.assertIn("seed 004: threads 855/537/199/161 s", only.evidence)
        flat = self.verdict("C5", self.run_with(ttl_scan(thread_s=(30, 29, 29, 29)), keep=no_cpp))
        self.assertEqual(flat.verdict, "does not hold")

    def test_report_shows_python_in_the_seed_table_and_the_environment(self):
        out = os.path.join(self.dir, "out")
        report.build(self.run_with(ttl_scan() + gil_cpu() + alive()).path, out)
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            text = f.read()
        self.assertIn("<tr><th class='l'>python</th><td class='l'>3.11.2, GIL on (/usr/bin/python3)</td></tr>", text)
        table = text[text.index("Seed 004's table, measured here: redis ttl_scan, delay_us=1000"):]
        table = table[:table.index("</p>")]
        self.assertIn("<th>py-thread s</th><th>py-process s</th>", table)
        self.assertRegex(table, r"<tr><td>128</td><td>0.23</td><td>0.226</td><td>11.7</td><td>201.5</td><td>4</td>"
                                r"<td>4.2</td><td>38.0</td><td>3212.0</td><td>42.0</td><td>3348.0</td><td>161</td>"
                                r"<td></td><td>50</td><td></td></tr>")
        self.assertIn("on Python 3.11.2, GIL on", table)
        # No Python cells without the server's delay: that table keeps the C++ columns only.
        no_delay = text[text.index("redis ttl_scan, delay_us=0"):]
        self.assertNotIn("py-thread s", no_delay[:no_delay.index("</table>")])
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("host alpha, Python 3.11.2, GIL on (/usr/bin/python3);", md)
        self.assertIn("| 8 | 2.67 | 2.66 | 3.7 | 15.5 | 30 | 29 | 30.5 | 212.0 | 34.5 | 228.0 | 855 | 800 | 30 | 230 |", md)

    def test_cpu_speedup_of_python_against_its_own_one_worker(self):
        run = self.run_with(gil_cpu())
        figs = {name: fig for name, _, fig in plots.cpu_speedup(data.summarise(run.rows), run.env)}
        self.assertEqual(set(figs), {"cpu_speedup_1200000", "cpu_speedup_100000_python"})
        ax = figs["cpu_speedup_100000_python"].axes[0]
        self.assertIn("py-thread", ax.get_ylabel())
        lines = {c.get_label(): c.lines[0] for c in ax.containers if hasattr(c, "lines")}
        self.assertEqual(set(lines), {"py-thread", "py-process"})
        self.assertAlmostEqual(lines["py-process"].get_ydata()[-1], 2.0 / 1.05)
        cpp = {c.get_label() for c in figs["cpu_speedup_1200000"].axes[0].containers if hasattr(c, "lines")}
        self.assertNotIn("py-thread", cpp)
        plots.plt.close("all")

    def test_environment_rows_for_python(self):
        rows = dict(render.env_rows({"host": "h", "python": dict(PY_ENV, version="3.13.1", gil=False)}))
        self.assertEqual(rows["python"], "3.13.1, no GIL (free-threaded) (/usr/bin/python3)")
        self.assertIn("none usable", dict(render.env_rows({"python": None}))["python"])
        self.assertNotIn("python", dict(render.env_rows({"host": "h"})))


if __name__ == "__main__":
    unittest.main()
