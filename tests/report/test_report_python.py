"""The report over Python runners' cells beside the C++ ones: variants, the claims about Python
(C3, C4, C5), the seed 004 table and the environment."""

import csv
import json
import os
import shutil
import tempfile
import unittest

from fixture_columns import COLUMNS, FIXTURES  # (puts the scripts on the path)

import report  # noqa: E402
from versus_report import claims, data, plots, plots_io, render, seeds  # noqa: E402


PY_ENV = {"executable": "/usr/bin/python3", "version": "3.11.2", "gil": True}
TTL = ("delay_us=1000;fault=none;keys=20000;op=ttl_scan;pipeline=1;requests=100000;scan_count=1000;server=embedded;"
       "value_size=32")
MIB = 2**20


def py_rows(scenario, runner, workers, params, wall_s, cpu_s=None, pss_mib=None, rss_mib=None, runner_params=None):
    """Three identical repetitions of a Python runner's cell, as the runner writes them."""
    defaults = "py_pool=pool;py_start=default;py_fault=none" if runner == "py-process" else "py_pool=pool;py_fault=none"
    params = params + ";" + (runner_params or defaults)
    row = {c: "" for c in COLUMNS}
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
    for w, pss in ((4, 110), (16, 400)):
        out += py_rows("spawn", "py-process", w, "mode=alive;rounds=50;worker_kb=0", 0.4, pss_mib=pss, rss_mib=pss + 20,
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
            w = csv.DictWriter(f, fieldnames=COLUMNS)
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
        self.assertIn("at 2 workers on 2 cores, placement=none (placed by the scheduler), against py-thread with one "
                      "worker: py-thread 0.98x keeping 101% CPU busy, py-process 1.90x (198% CPU)", v.evidence)
        # More Python workers than C++ ones on a larger machine: the C++ part still reads its own cells.
        wide = self.verdict("C4", self.run_with(gil_cpu(), cores=8))
        self.assertIn("C++ (does not hold): cpu (primes) at 4 workers on 8 cores, placement=none (placed by the "
                      "scheduler): fork 1.83x", wide.evidence)
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
        # What one more worker adds, from 4 to 16 alive: (212 - 100) / 12 MiB a fork-started process,
        # (400 - 110) / 12 a spawn-started one (its cells lack parent_heap_mb: they count), (14 - 12)
        # / 12 a thread; not the whole cell over its workers, which shares the interpreter out.
        self.assertIn("4 to 16 alive: py-process 9.33 MiB PSS (13.07 MiB RSS), py-process (spawn) 24.17 MiB PSS "
                      "(24.17 MiB RSS), py-thread 0.17 MiB PSS (0.17 MiB RSS)", v.evidence)
        self.assertIn("py-process 56.0x, py-process (spawn) 145.0x", v.evidence)
        self.assertIn("about 25 MB per process", v.evidence)
        # One count of live workers only: the whole cell over its workers, said to be so.
        one = self.verdict("C3", self.run_with([r for r in alive() if r["workers"] == 16]))
        self.assertIn("one count of live workers only", one.evidence)
        self.assertIn("16 alive: py-process 13.25 MiB PSS (18.55 MiB RSS), py-process (spawn) 25.00 MiB PSS",
                      one.evidence)
        no_cpp = lambda r: not (r["scenario"] == "spawn" and not r["runner"].startswith("py-"))
        self.assertEqual(self.verdict("C3", self.run_with(alive(), keep=no_cpp)).verdict, "holds")
        cheap = self.verdict("C3", self.run_with(alive(process_mib=(12.5, 14.6)), keep=no_cpp))
        self.assertEqual(cheap.verdict, "depends")  # fork-started ~1x a thread, spawn-started still 145x
        self.assertIn("on the start method", cheap.evidence)

    def test_c5_python_ttl_scan_beside_the_seed(self):
        v = self.verdict("C5", self.run_with(ttl_scan()))
        self.assertEqual(v.verdict, "depends")  # C++ depends (no speedup without a delay); Python holds
        self.assertIn("Python 3.11.2 with the GIL (holds): redis ttl_scan at placement=none (placed by the scheduler): "
                      "delay_us=1000: at 8/16/64/128 workers py-thread 30/16/5/4 s, py-process 29/15/4.5/4.2 s",
                      v.evidence)
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
        # It says which part failed: threads that gain nothing and fall behind the processes.
        self.assertIn("py-thread gains less than 1.5x from 8 to 128 workers, py-thread takes 6.90x py-process's "
                      "time at 128 (one interpreter, one GIL", flat.evidence)

    def test_seed_table_against_another_server_names_it_not_the_embedded_delay(self):
        elsewhere = [dict(r, cell=r["cell"].replace("server=embedded", "server=10.0.0.7:6379"),
                          params=r["params"].replace("server=embedded", "server=10.0.0.7:6379"))
                     for r in ttl_scan()]
        no_cpp = lambda r: r["scenario"] != "redis"
        tables = seeds.seed004_tables(data.summarise(self.run_with(elsewhere, keep=no_cpp).rows))
        self.assertEqual([label for label, _ in tables], ["server=10.0.0.7:6379, keys=20000"])

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
