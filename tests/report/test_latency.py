"""Latency under load in the report: the latency-throughput curve (points grouped by setting, a line
per runner and placement, in the order of the offered rate, saturated points ringed), the
percentile spectra read from the .hgrm side files (and a clear note where one is missing or
malformed), and C19 following the numbers of a stalling server. Over results the tests write
(fixture_latency.py) and a percentile distribution in HdrHistogram's own layout
(tests/fixtures/hgrm/stalled.hgrm)."""

import os
import tempfile
import unittest

import numpy as np

import fixture_latency as fl
from fixture_columns import FIXTURES

import report  # noqa: E402
from versus_report import claims, data, hgrm, plots_latency, thresholds  # noqa: E402

SAMPLE = os.path.join(FIXTURES, "hgrm", "stalled.hgrm")


class WithRun(unittest.TestCase):
    """A folder of results each test writes, removed after it, with the figures it drew."""

    def setUp(self):
        self.dir = self.enterContext(tempfile.TemporaryDirectory(prefix="versus-latency-"))
        self.addCleanup(plots_latency.plt.close, "all")

    def cells_of(self, rows, shuffle=True):
        fl.write_run(self.dir, rows, shuffle)
        run = data.load_run(self.dir)
        return hgrm.with_spectra(data.summarise(run.rows), run.path), run.env


def lines(ax):
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


def offsets(ax, mark):
    """The points of the axes' scatters drawn with the given mark (plots_latency's, told by size)."""
    return sorted(tuple(p) for c in ax.collections if len(c.get_sizes()) and c.get_sizes()[0] == mark["s"]
                  for p in c.get_offsets())


def cell_values(rows, runner, rate, column, workers=None, placement="none"):
    """The middle repetition's value of column in the fixture's own rows (its jitter is 1)."""
    [value] = [r[column] for r in rows if r["runner"] == runner and f"rate={rate};" in r["params"]
               and r["repetition"] == 1 and f"placement={placement};" in r["params"]
               and (workers is None or r["workers"] == workers)]
    return value


def both_points(rows, runner, rate):
    """A cell's p50 and p99 points at its achieved rate, as the curve places them (sorted)."""
    achieved = cell_values(rows, runner, rate, "ops_per_s")
    return sorted((achieved, cell_values(rows, runner, rate, c)) for c in ("lat_p50_us", "lat_p99_us"))


class Curve(WithRun):
    def curve(self, rows):
        [(name, _, fig)] = plots_latency.redis_latency_curve(*self.cells_of(rows))
        self.assertEqual(name, "redis_latency_curve")
        return [ax for ax in fig.axes if ax.get_visible()]

    def test_points_follow_the_offered_rate_not_the_achieved(self):
        rows = fl.sweep_rows()
        [ax] = self.curve(rows)
        self.assertEqual(ax.get_yscale(), "log")
        for runner in ("pthread", "epoll"):
            want_x = [cell_values(rows, runner, f"{s}%", "ops_per_s") for s in fl.SHARES]
            # Past the peak the achieved rate falls back: sorted by it, the last two would swap.
            self.assertLess(want_x[-1], want_x[-2])
            p50 = lines(ax)[runner]
            np.testing.assert_allclose(p50.get_xdata(), want_x)
            np.testing.assert_allclose(p50.get_ydata(), [cell_values(rows, runner, f"{s}%", "lat_p50_us")
                                                         for s in fl.SHARES])
            [p99] = [line for line in ax.get_lines() if line.get_linestyle() == ":"
                     and list(line.get_xdata()) == list(p50.get_xdata())]
            np.testing.assert_allclose(p99.get_ydata(), [cell_values(rows, runner, f"{s}%", "lat_p99_us")
                                                         for s in fl.SHARES])

    def test_a_panel_per_setting_a_line_per_runner_and_placement(self):
        rows = (fl.sweep_rows() + fl.sweep_rows(runners=("pthread",), placement="same")
                + fl.sweep_rows(workers=8, stall_ms=20))
        # A setting measured in closed loop only has no panel.
        closed_only = fl.sweep_rows(workers=16, shares=())
        axes = self.curve(rows + closed_only)
        self.assertEqual(len(axes), 2)
        by_title = {("workers=64" in ax.get_title()): ax for ax in axes}
        self.assertIn("stall_ms=0", by_title[True].get_title())
        self.assertEqual(set(lines(by_title[True])), {"pthread, none", "pthread, same", "epoll, none"})
        self.assertEqual(set(lines(by_title[False])), {"pthread, none", "epoll, none"})
        same = lines(by_title[True])["pthread, same"]
        np.testing.assert_allclose(same.get_xdata(), [cell_values(rows, "pthread", f"{s}%", "ops_per_s", 64, "same")
                                                      for s in fl.SHARES])
        eight = lines(by_title[False])["epoll, none"]
        np.testing.assert_allclose(eight.get_ydata(), [cell_values(rows, "epoll", f"{s}%", "lat_p50_us", 8)
                                                       for s in fl.SHARES])

    def test_saturated_points_are_ringed_and_only_those(self):
        rows = fl.sweep_rows(runners=("pthread",))
        [ax] = self.curve(rows)
        np.testing.assert_allclose(offsets(ax, plots_latency.SATURATED_MARK), both_points(rows, "pthread", "100%"))
        for row in rows:
            row["message"] = ""
        [ax] = self.curve(rows)
        self.assertEqual(offsets(ax, plots_latency.SATURATED_MARK), [])

    def test_the_closed_loop_is_a_point_apart(self):
        rows = fl.sweep_rows(runners=("epoll",))
        [ax] = self.curve(rows)
        peak = both_points(rows, "epoll", "0")
        np.testing.assert_allclose(offsets(ax, plots_latency.CLOSED_LOOP_MARK), peak)
        self.assertNotIn(peak[0][0], lines(ax)["epoll"].get_xdata())

    def test_no_open_loop_no_curve(self):
        self.assertEqual(plots_latency.redis_latency_curve(*self.cells_of(fl.sweep_rows(shares=()))), [])
        run = data.load_run(os.path.join(FIXTURES, "run_a"))
        self.assertEqual(plots_latency.redis_latency_curve(data.summarise(run.rows), run.env), [])


class SideFiles(unittest.TestCase):
    def setUp(self):
        with open(SAMPLE) as f:
            self.text = f.read()
        self.lines = self.text.splitlines()

    def refused(self, text, message):
        with self.assertRaises(hgrm.HistogramError) as caught:
            hgrm.parse_hgrm(text, "x.hgrm")
        self.assertRegex(str(caught.exception), message)

    def test_reads_hdrhistogram_percentile_distribution(self):
        spectrum = hgrm.read_hgrm(SAMPLE)
        data_lines = [line.split() for line in self.lines[1:] if line.strip() and not line.startswith("#")]
        self.assertEqual(len(spectrum.percentiles), len(data_lines))
        self.assertEqual(spectrum.values_us[0], float(data_lines[0][0]))
        self.assertEqual(spectrum.percentiles[-1], 1.0)
        median = next(i for i, p in enumerate(spectrum.percentiles) if p >= 0.5)
        self.assertEqual(spectrum.values_us[median], float(data_lines[median][0]))
        footer = {line.split("=")[0].strip("#[ "): line for line in self.lines if line.startswith("#[")}
        self.assertEqual(spectrum.total_count, int(footer["Max"].split("=")[-1].strip(" ]")))
        self.assertEqual(spectrum.max_us, spectrum.values_us[-1])
        self.assertEqual(sorted(spectrum.values_us), spectrum.values_us)

    def test_malformed_files_are_refused_naming_the_line(self):
        self.refused("", "x.hgrm: empty")
        self.refused("Value,Percentile,TotalCount,1/(1-Percentile)\n",
                     r"x.hgrm:1: expected the header `Value Percentile")
        broken = list(self.lines)
        broken[4] = broken[4].replace(".", "x", 1)
        self.refused("\n".join(broken), "x.hgrm:5: not numbers")
        short = list(self.lines)
        short[5] = " ".join(short[5].split()[:2])
        self.refused("\n".join(short), "x.hgrm:6: expected 3 or 4 numbers")
        swapped = list(self.lines)
        swapped[4], swapped[5] = swapped[5], swapped[4]
        self.refused("\n".join(swapped), "x.hgrm:6: value, percentile and count must not fall")
        cut = [line for line in self.lines if not line.startswith("#[")]
        self.refused("\n".join(cut[:-10]), r"no Mean, Max, Total count in a `#\[...\]` footer \(the file cut short\?\)")
        wrong_total = [line.replace("Total count    =       100000", "Total count    =        99999")
                       for line in self.lines]
        self.refused("\n".join(wrong_total), "Total count 99999 is not the last line's count 100000")
        self.refused("\n".join(self.lines[:2] + self.lines[-3:]), "x.hgrm: no values under the header")
        with self.assertRaisesRegex(hgrm.HistogramError, "nowhere.hgrm: no such file"):
            hgrm.read_hgrm(os.path.join(FIXTURES, "hgrm", "nowhere.hgrm"))


class Spectra(WithRun):
    def test_a_panel_per_runner_a_line_per_rate_from_the_side_files(self):
        rows = fl.sweep_rows()
        figs = plots_latency.latency_spectrum(*self.cells_of(rows))
        [(name, _, fig)] = figs
        self.assertEqual(name, "redis_spectrum")
        panels = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
        self.assertEqual(set(panels), {"pthread", "epoll"})
        ax = panels["pthread"]
        self.assertEqual(set(lines(ax)), {"closed loop"} | {f"rate={s}%" for s in fl.SHARES})
        self.assertEqual((ax.get_xscale(), ax.get_yscale()), ("log", "log"))
        # At 1/(1-p) = 100 the line passes through the p99 its side file was written with.
        half = lines(ax)["rate=50%"]
        at_p99 = dict(zip(np.round(half.get_xdata(), 6), half.get_ydata()))[100]
        self.assertAlmostEqual(at_p99, cell_values(rows, "pthread", "50%", "lat_p99_us"), delta=0.01)
        self.assertGreaterEqual(min(half.get_xdata()), 2)
        self.assertLessEqual(round(max(half.get_xdata()), 6), 10000)

    def test_the_spectrum_is_of_the_repetition_nearest_the_median_p99(self):
        cells, _ = self.cells_of(fl.sweep_rows(runners=("epoll",)))
        self.assertTrue(all(path.endswith(".1.hgrm") for path in cells["histogram"]), list(cells["histogram"]))

    def test_missing_and_malformed_side_files_are_notes_not_failures(self):
        rows = fl.sweep_rows()
        fl.write_run(self.dir, rows)
        gone = {r["histogram"] for r in rows if r["runner"] == "pthread" and "rate=50%;" in r["params"]}
        bad = {r["histogram"] for r in rows if r["runner"] == "epoll" and "rate=30%;" in r["params"]}
        for path in gone:
            os.remove(os.path.join(self.dir, path))
        for path in bad:
            with open(os.path.join(self.dir, path), "w") as f:
                f.write("not a histogram\n")
        out = os.path.join(self.dir, "out")
        html_path, figures, _ = report.build(self.dir, out)
        self.assertIn("redis_spectrum", figures)
        with open(html_path, encoding="utf-8") as f:
            html = f.read()
        self.assertRegex(html, r"workers:64/[^<]*rate=50%[^<]*: no percentile spectrum: "
                               r"[^<]*histograms/pthread-64-none-0-50\.1\.hgrm: no such file")
        self.assertRegex(html, r"rate=30%[^<]*: no percentile spectrum: [^<]*epoll-64-none-0-30\.1\.hgrm:1: expected "
                               "the header")
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            self.assertIn("no such file", f.read())
        run = data.load_run(self.dir)
        [(_, _, fig)] = plots_latency.latency_spectrum(hgrm.with_spectra(data.summarise(run.rows), run.path), run.env)
        pthread = next(ax for ax in fig.axes if ax.get_title() == "pthread")
        self.assertNotIn("rate=50%", lines(pthread))
        self.assertIn("rate=70%", lines(pthread))

    def test_no_side_files_no_spectrum(self):
        cells, env = self.cells_of(fl.sweep_rows(histograms=False))
        self.assertEqual(plots_latency.latency_spectrum(cells, env), [])
        self.assertEqual(set(cells["spectrum_note"]), {""})


class C19(WithRun):
    STALL_US = 20 * 1e3  # fl.stall_rows' stall_ms

    def verdict(self, rows, shuffle=True):
        cells, env = self.cells_of(rows, shuffle)
        rule = next(c for c in claims.CLAIMS if c.id == "C19").rule
        return rule(cells, env)

    def test_holds_when_the_open_loop_shows_the_stall_and_the_closed_loop_does_not(self):
        v = self.verdict(fl.stall_rows(open_p99=25000, closed_p99=400, clean_p99=300))
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertIn("pthread x8, a 20 ms stall every 200 ms: open loop at 50% of the peak", v.evidence)
        self.assertIn("p99 25.00 ms (shows the stall)", v.evidence)
        self.assertIn("closed loop p99 400 µs against 300 µs without stalls (1.33x: hidden)", v.evidence)
        # The cells it rests on: the open loop, the closed loop on the stalling server, the clean one.
        for part in ("rate=50%;", "rate=0;ratio=0:1;requests=10000;server=embedded;stall_every_ms=200;stall_ms=20",
                     "stall_every_ms=1000;stall_ms=0"):
            self.assertIn(part, v.evidence)

    def test_the_verdict_follows_each_threshold(self):
        shows = thresholds.SHOWS_STALL * self.STALL_US
        hides = thresholds.HIDES_STALL * 300
        self.assertEqual(self.verdict(fl.stall_rows(shows * 1.01, hides * 0.99, 300)).verdict, "holds")
        self.assertEqual(self.verdict(fl.stall_rows(shows * 0.99, hides * 0.99, 300)).verdict, "does not hold")
        self.assertEqual(self.verdict(fl.stall_rows(shows * 1.01, hides * 1.01, 300)).verdict, "does not hold")

    def test_depends_where_one_runner_hides_the_stall_and_another_does_not(self):
        rows = fl.stall_rows(25000, 400, 300) + fl.stall_rows(25000, 4000, 300, runner="epoll")
        v = self.verdict(rows)
        self.assertEqual(v.verdict, "depends", v.evidence)
        self.assertIn("epoll x8", v.evidence)
        self.assertIn("as claimed in 1 of 2 settings", v.evidence)

    def test_the_open_loop_nearest_half_the_peak_is_read(self):
        rows = fl.stall_rows(25000, 400, 300, shares=(10, 35, 45, 65, 90))
        # Either way round: the nearest wins, not the first or the last within reach.
        for order in (rows, rows[::-1]):
            v = self.verdict(order, shuffle=False)
            self.assertIn("open loop at 45% of the peak", v.evidence)
        self.assertEqual(self.verdict(fl.stall_rows(25000, 400, 300, shares=(90,))).verdict, "no data")

    def test_no_data_without_the_three_cells(self):
        without_clean = [r for r in fl.stall_rows(25000, 400, 300) if "stall_ms=0;" not in r["params"]]
        self.assertEqual(self.verdict(without_clean).verdict, "no data")
        real = fl.stall_rows(25000, 400, 300)
        for r in real:
            r["params"] = r["params"].replace("server=embedded", "server=127.0.0.1:6379")
            r["cell"] = r["cell"].replace("server=embedded", "server=127.0.0.1:6379")
        self.assertEqual(self.verdict(real).verdict, "no data")
        run = data.load_run(os.path.join(FIXTURES, "run_a"))
        verdicts = dict((c.id, v) for c, v in claims.judge(data.summarise(run.rows), run.env))
        self.assertEqual(verdicts["C19"].verdict, "no data")
        self.assertIn("stall_ms > 0", verdicts["C19"].evidence)


if __name__ == "__main__":
    unittest.main()
