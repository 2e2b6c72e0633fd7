"""The report over cells placed on CPUs: results.csv with the `cpus` and `cpu_migrations` columns
and a `placement` in every cell, beside the fixtures from before them. Claims compare runners at
one placement and say which; C18 weighs the placement against the kind of peer; every legend and
table names the placement.

The fixture is tests/fixtures/run_a as versus writes it now: `placement=none` in every cell's
parameters (switch's old `pin` gone), the two columns after `host`, and ipc pingpong and switch
cells pinned on one CPU (same) and on two cores (spread). report.unit runs these tests with
test_report.py's."""

import csv
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import fixture_reports  # noqa: E402
import report  # noqa: E402
from versus_report import claims, data, plots  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
with open(os.path.join(FIXTURES, "run_a", "results.csv"), newline="") as _f:
    OLD_COLUMNS = next(csv.reader(_f))
# Where versus puts them: after every column that was there before.
COLUMNS = OLD_COLUMNS + ["cpus", "cpu_migrations"]
# The CPUs a pair's two ends were bound to on a two-core machine.
CPUS = {"none": "", "same": "0", "spread": "0-1"}
PINGPONG = {"bytes": "67108864", "channel": "pipe", "fault": "none", "mode": "pingpong", "msg_size": "4096",
            "round_trips": "20000", "spin_us": "20", "warmup": "200"}
SWITCH = {"handovers": "20000", "spin_us": "50", "via": "futex", "wait": "block"}


def params_text(params):
    return ";".join(f"{k}={v}" for k, v in sorted(params.items()))


def placed(row, placement):
    """A row of run_a as versus writes it now: its cell at `placement`, switch without `pin`."""
    params = data.parse_params(row["params"])
    if row["scenario"] == "switch":
        params.pop("pin", None)
    params["placement"] = placement
    text = params_text(params)
    return dict(row, params=text, cell=f"{row['scenario']}/{row['runner']}/workers:{row['workers']}/{text}",
                cpus=CPUS[placement], cpu_migrations=0 if placement != "none" else 3)


def cells(scenario, runner, params, placement, **measures):
    """Three repetitions of one ok cell at `placement`, with the measures given."""
    row = {c: "" for c in COLUMNS}
    row.update(scenario=scenario, runner=runner, workers=1, params=params_text(params), status="ok", host="alpha",
               wall_s=1.0, ops=20000, ops_per_s=20000.0)
    row.update(measures)
    return [placed(dict(row, repetition=i), placement) for i in range(3)]


def pingpong(p50):
    """ipc pingpong cells; p50: {(runner, placement): µs}."""
    return [r for (runner, placement), us in p50.items()
            for r in cells("ipc", runner, PINGPONG, placement, lat_p50_us=us, lat_p99_us=2 * us)]


def switch(ns):
    """switch cells; ns: {(runner, placement): ns per hand-over}."""
    return [r for (runner, placement), t in ns.items()
            for r in cells("switch", runner, SWITCH, placement, ops_per_s=1e9 / t, wall_s=20000 * t / 1e9)]


def throughput(rates):
    """ipc throughput cells over a pipe at 4 KiB; rates: {(runner, placement): bytes/s}."""
    p = dict(PINGPONG, mode="throughput")
    return [r for (runner, placement), rate in rates.items()
            for r in cells("ipc", runner, p, placement, bytes_per_s=rate)]


# On one CPU a round trip is a switch, across two cores a wake-up: three times the time; processes
# and threads within 5% of each other.
PLACEMENT_WEIGHS = {("fork", "same"): 10.0, ("pthread", "same"): 9.5, ("fork", "spread"): 30.0,
                    ("pthread", "spread"): 29.0}
# At placement=same a process switch costs more than a thread's (C2 holds there); across cores the
# wake-up costs the same for both (C2 depends there).
HANDOVERS = {("fork", "same"): 2000.0, ("pthread", "same"): 1500.0, ("fiber", "same"): 50.0,
             ("fork", "spread"): 5000.0, ("pthread", "spread"): 5000.0, ("fiber", "spread"): 50.0}


class PlacedRun(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="versus-placement-")

    def tearDown(self):
        shutil.rmtree(self.dir)
        plots.plt.close("all")

    def run_with(self, rows, keep=lambda r: r["scenario"] != "switch"):
        """run_a's rows at placement=none (but switch's, whose `pin` a placement replaces) and `rows`."""
        with open(os.path.join(FIXTURES, "run_a", "results.csv"), newline="") as f:
            fixture = [placed(r, "none") for r in csv.DictReader(f) if keep(r)]
        with open(os.path.join(self.dir, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(fixture + rows)
        shutil.copy(os.path.join(FIXTURES, "run_a", "env.json"), self.dir)
        return data.load_run(self.dir)

    def verdict(self, claim_id, run):
        rule = next(c for c in claims.CLAIMS if c.id == claim_id).rule
        return rule(data.summarise(run.rows), run.env)


class Columns(PlacedRun):
    def test_cpus_is_text_and_migrations_a_number(self):
        run = self.run_with(pingpong(PLACEMENT_WEIGHS))
        ipc = run.rows[run.rows["scenario"] == "ipc"]
        self.assertEqual(set(ipc["cpus"]), {"", "0", "0-1"})  # "0" is a CPU list, not the number 0
        self.assertEqual(set(ipc["p_placement"]), {"none", "same", "spread"})
        self.assertEqual(set(ipc["cpu_migrations"]), {0, 3})
        cell = data.summarise(ipc)
        self.assertEqual(cell.loc[cell["p_placement"] == "spread", "cpus"].iloc[0], "0-1")

    def test_results_from_before_placement_read_as_none(self):
        run = data.load_run(os.path.join(FIXTURES, "run_a"))
        self.assertEqual(set(run.rows["p_placement"]), {"none"})
        self.assertEqual(set(run.rows["cpus"]), {""})
        self.assertTrue(run.rows["cpu_migrations"].isna().all())


class C18(PlacedRun):
    def test_holds_where_the_placement_weighs_more_than_the_peer_kind(self):
        v = self.verdict("C18", self.run_with(pingpong(PLACEMENT_WEIGHS)))
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertIn("p50 same / spread fork 10.0 / 30.0 µs, pthread 9.5 / 29.0 µs", v.evidence)
        self.assertIn("spread/same fork 3.00x, pthread 3.05x; fork/pthread at same 1.05x, at spread 1.03x", v.evidence)
        # The smaller placement factor over the larger peer factor: 3.00 / 1.0526.
        self.assertIn("the placement weighs 2.85x the peer kind", v.evidence)
        # The run's unpinned cells (run_a's, p50 50 µs) do not enter.
        self.assertNotIn("50.0", v.evidence)

    def test_does_not_hold_where_processes_against_threads_weighs_more(self):
        peers = {("fork", "same"): 10.0, ("pthread", "same"): 5.0, ("fork", "spread"): 11.0, ("pthread", "spread"): 5.5}
        v = self.verdict("C18", self.run_with(pingpong(peers)))
        self.assertEqual(v.verdict, "does not hold", v.evidence)
        self.assertIn("spread/same fork 1.10x, pthread 1.10x; fork/pthread at same 2.00x, at spread 2.00x", v.evidence)

    def test_a_faster_placement_weighs_as_much_as_a_slower_one(self):
        # Spread three times faster than same is as decisive as three times slower.
        faster = {k: (90.0 if k[1] == "same" else v) for k, v in PLACEMENT_WEIGHS.items()}
        self.assertEqual(self.verdict("C18", self.run_with(pingpong(faster))).verdict, "holds")

    def test_no_data_without_both_placements(self):
        only_same = {k: v for k, v in PLACEMENT_WEIGHS.items() if k[1] == "same"}
        self.assertEqual(self.verdict("C18", self.run_with(pingpong(only_same))).verdict, "no data")
        old = data.load_run(os.path.join(FIXTURES, "run_a"))
        v = self.verdict("C18", old)
        self.assertEqual(v.verdict, "no data")
        self.assertIn("placement=same and placement=spread", v.evidence)


class LikeWithLike(PlacedRun):
    """A rule comparing runners reads one placement: rows of another would flip its verdict."""

    def test_c6_reads_spread_and_not_the_scheduler_s_cells(self):
        # Unpinned (run_a's), fork moves 0.97x pthread's bytes: the claim does not hold. Pinned apart,
        # fork moves half: it holds. Read together, the verdict would be the unpinned one.
        spread = {("fork", "spread"): 1e9, ("pthread", "spread"): 2e9}
        v = self.verdict("C6", self.run_with(throughput(spread)))
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertIn("at placement=spread (workers on distinct cores", v.evidence)
        self.assertIn("pipe 4096 B: 0.50", v.evidence)
        self.assertNotIn("0.97", v.evidence)

    def test_c6_falls_back_to_none_and_says_why(self):
        fork_only = {("fork", "spread"): 1e9}
        v = self.verdict("C6", self.run_with(throughput(fork_only)))
        self.assertEqual(v.verdict, "does not hold", v.evidence)
        self.assertIn("placement=none (placed by the scheduler; the cells at spread do not answer)", v.evidence)

    def test_c2_reads_one_cpu_where_a_hand_over_is_a_switch(self):
        v = self.verdict("C2", self.run_with(switch(HANDOVERS)))
        self.assertEqual(v.verdict, "holds", v.evidence)
        self.assertIn("placement=same (every worker on one CPU)", v.evidence)
        self.assertIn("fork 2000 ns, pthread 1500 ns, fiber 50 ns", v.evidence)
        self.assertNotIn("5000", v.evidence)
        apart = {k: t for k, t in HANDOVERS.items() if k[1] == "spread"}
        v = self.verdict("C2", self.run_with(switch(apart)))
        self.assertEqual(v.verdict, "depends", v.evidence)
        self.assertIn("placement=spread", v.evidence)

    def test_every_verdict_names_its_placement(self):
        run = self.run_with(pingpong(PLACEMENT_WEIGHS) + switch(HANDOVERS) + throughput(
            {("fork", "spread"): 1e9, ("pthread", "spread"): 2e9}))
        for claim, v in claims.judge(data.summarise(run.rows), run.env):
            if v.verdict != "no data":
                self.assertIn("placement=", v.evidence, claim.id)


class Shown(PlacedRun):
    def legend_texts(self, fig):
        """Every legend's title and entries, of the axes and of the figure."""
        out = []
        for leg in [ax.get_legend() for ax in fig.axes] + list(fig.legends):
            if leg is not None:
                out += [leg.get_title().get_text()] + [t.get_text() for t in leg.get_texts()]
        return out

    def test_every_legend_names_the_placement(self):
        run = self.run_with(pingpong(PLACEMENT_WEIGHS) + switch(HANDOVERS))
        figs = plots.make_all(data.summarise(run.rows), run.env)
        for name, _, fig in figs:
            texts = self.legend_texts(fig)
            ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
            self.assertTrue(any("placement" in t for t in texts + ticks), f"{name}: {texts}")
        by_name = {name: fig for name, _, fig in figs}
        latency = self.legend_texts(by_name["ipc_latency_4096"])
        self.assertIn("runner, placement", latency)
        for entry in ("fork, none p50", "fork, same p50", "pthread, spread p50"):
            self.assertIn(entry, latency)
        # One figure per placement where the scenario had several: none of them mixes two.
        self.assertIn("placement=same", self.legend_texts(by_name["switch_same_block"]))
        self.assertIn("placement=spread", self.legend_texts(by_name["switch_spread_block"]))

    def test_results_from_before_placement_say_none(self):
        run = data.load_run(os.path.join(FIXTURES, "run_a"))
        for name, _, fig in plots.make_all(data.summarise(run.rows), run.env):
            texts = self.legend_texts(fig)
            if texts:
                self.assertIn("placement=none", texts, name)

    def test_tables_show_placement_cpus_and_migrations(self):
        run = self.run_with(pingpong(PLACEMENT_WEIGHS))
        html_path, _, _ = report.build(run.path, os.path.join(self.dir, "out"))
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        ipc = text[text.index("<h2>Scenario ipc</h2>"):]
        ipc = ipc[:ipc.index("</table>")]
        self.assertIn("<th>placement</th>", ipc)
        self.assertIn("<th>CPUs</th><th>migrations</th>", ipc)
        self.assertRegex(ipc, r"<td>spread</td>(<td>[^<]*</td>)*<td>0-1</td><td>0</td>")
        self.assertIn("(raised by measuring, not by a seed;", text)
        with open(os.path.join(self.dir, "out", "report.md"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r"\| ipc/fork/workers:1/[^|]*placement=same[^|]* \| same \| 3/3 \|")

    def test_old_tables_show_placement_none_without_cpus(self):
        html_path, _, _ = fixture_reports.built("run_a")
        with open(html_path, encoding="utf-8") as f:
            text = f.read()
        cpu = text[text.index("<h2>Scenario cpu</h2>"):]
        cpu = cpu[:cpu.index("</table>")]
        self.assertIn("<th>placement</th>", cpu)
        self.assertNotIn("<th>CPUs</th>", cpu)
        self.assertIn("<td>none</td>", cpu)


if __name__ == "__main__":
    unittest.main()
