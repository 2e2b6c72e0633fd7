"""Every figure the report draws, checked as a reader would see it: its legends inside the figure,
and no axis with two ticks that read the same. Over the fixtures, and over a run with many
runner variants (long labels) and memory that varies within a decade (ticks between whole MiB), and
over a sweep of offered rates (the latency-throughput curves and the percentile spectra)."""

import csv
import json
import os
import shutil
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")

import fixture_latency
from fixture_columns import COLUMNS, FIXTURES  # (puts the scripts on the path)

from versus_report import data, hgrm, plots  # noqa: E402

# Runners and settings that make long, many labels: "epoll x2 loops (edge)", "fiber x2 threads (io_uring)".
VARIANTS = [("pthread", ""), ("fork", ""), ("fiber", "fiber_threads=1;fiber_poller=epoll"),
            ("fiber", "fiber_threads=2;fiber_poller=io_uring"), ("select", "loop_threads=1"),
            ("poll", "loop_threads=2"), ("epoll", "loop_threads=1;trigger=level"),
            ("epoll", "loop_threads=2;trigger=edge"), ("io_uring", "loop_threads=2;uring_wait=recv")]
REDIS = "delay_us=0;fault=none;keys=1000;op=get;pipeline=1;requests=10000;server=embedded;value_size=32"


def redis_rows():
    rows = []
    for i, (runner, runner_params) in enumerate(VARIANTS):
        params = REDIS + (";" + runner_params if runner_params else "")
        for workers in (1, 8, 64):
            for rep in range(3):
                row = {c: "" for c in COLUMNS}
                row.update(cell=f"redis/{runner}/workers:{workers}/{params}", scenario="redis", runner=runner,
                           workers=workers, params=params, repetition=rep, status="ok", wall_s=0.5, ops=10000,
                           ops_per_s=20000 + 1000 * i, lat_p50_us=40 + i + workers, lat_p90_us=60 + i,
                           lat_p99_us=90 + i + workers, lat_p999_us=120 + i, host="alpha",
                           # 3.4 to 4.7 MiB: inside one decade, where ticks fall between whole numbers.
                           pss_bytes=int((3.4 + 0.1 * i + 0.002 * workers) * 2**20),
                           rss_peak_bytes=int(5 * 2**20))
                rows.append(row)
    return rows


def problems(figures):
    """What a reader would see wrong in each (name, title, figure): legends outside the figure,
    and two ticks of one axis that read the same."""
    found = []
    for name, _, fig in figures:
        fig.canvas.draw()
        renderer, box = fig.canvas.get_renderer(), fig.bbox
        legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        for legend in legends:
            extent = legend.get_window_extent(renderer)
            if extent.x0 < box.x0 - 1 or extent.x1 > box.x1 + 1 or extent.y0 < box.y0 - 1 or extent.y1 > box.y1 + 1:
                found.append(f"{name}: a legend runs outside the figure ({extent} in {box})")
        for ax in fig.axes:
            for axis, at in ((ax.xaxis, 0), (ax.yaxis, 1)):
                low, high = sorted(axis.get_view_interval())
                shown = [t.get_text() for t in axis.get_ticklabels()
                         if t.get_visible() and t.get_text() and low <= t.get_position()[at] <= high]
                twice = sorted({t for t in shown if shown.count(t) > 1})
                if twice:
                    found.append(f"{name}: {axis.axis_name} ticks {shown} read {twice} more than once")
    return found


class Figures(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="versus-figures-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def figures_of(self, rows):
        with open(os.path.join(self.dir, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(rows)
        with open(os.path.join(FIXTURES, "run_a", "env.json")) as f, \
                open(os.path.join(self.dir, "env.json"), "w") as out:
            json.dump(json.load(f), out)
        run = data.load_run(self.dir)
        return plots.make_all(data.summarise(run.rows), run.env)

    def test_the_fixtures_figures_read_well(self):
        for fixture in ("run_a", "merged"):
            run = data.load_run(os.path.join(FIXTURES, fixture))
            self.assertEqual(problems(plots.make_all(data.summarise(run.rows), run.env)), [], fixture)

    def test_many_long_labels_stay_inside_and_ticks_read_once(self):
        figures = self.figures_of(redis_rows())
        names = [name for name, _, _ in figures]
        for drawn in ("redis_throughput", "redis_latency", "redis_memory"):
            self.assertIn(drawn, names)
        self.assertEqual(problems(figures), [])

    def test_latency_under_load_reads_well(self):
        # Two connection counts, a stalling server, and pthread at a second placement: two panels of
        # curves with long labels, and a spectrum figure per setting.
        rows = (fixture_latency.sweep_rows() + fixture_latency.sweep_rows(runners=("pthread",), placement="same")
                + fixture_latency.sweep_rows(workers=8, stall_ms=20))
        fixture_latency.write_run(self.dir, rows)
        run = data.load_run(self.dir)
        figures = plots.make_all(hgrm.with_spectra(data.summarise(run.rows), run.path), run.env)
        names = [name for name, _, _ in figures]
        self.assertIn("redis_latency_curve", names)
        self.assertEqual(len([n for n in names if n.startswith("redis_spectrum_")]), 2, names)
        self.assertEqual(problems(figures), [])

    def test_the_check_sees_what_it_looks_for(self):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([1, 2], [1, 2], label="a label far too long to fit in a figure three inches wide, surely")
        fig.legend(loc="lower center", ncol=1)
        ax.set_yticks([1, 1.5, 2])
        ax.set_yticklabels(["1", "2", "2"])
        self.assertEqual(len(problems([("probe", "", fig)])), 2)
        plt.close(fig)


if __name__ == "__main__":
    unittest.main()
