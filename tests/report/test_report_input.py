"""scripts/report.py on input a user can hand it by mistake, and on an output folder it cannot write,
run as `versus report` runs it: a one-line message naming the file (and line) and what was wrong,
exit status 2 for bad input and 1 for a report that cannot be written, never a traceback, and
nothing half-written left behind.

The tests run as root too, where a chmod'ed folder stops nothing: an unwritable output is a path
whose parent is a regular file (ENOTDIR for everyone), and a full disk is a file size limit
(RLIMIT_FSIZE, which binds root; Python ignores SIGXFSZ, so a write past it fails with EFBIG)."""

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REPORT = os.path.join(ROOT, "scripts", "report.py")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "run_a")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from versus_report import output  # noqa: E402

with open(os.path.join(FIXTURE, "results.csv"), encoding="utf-8") as _f:
    LINES = _f.read().splitlines(keepends=True)
HEADER = LINES[0]
# cpu, serial and fork at 1 and 2 workers, 3 repetitions each: enough for one plot, quick to draw.
ROWS = LINES[1:13]
with open(os.path.join(FIXTURE, "env.json"), encoding="utf-8") as _f:
    ENV = _f.read()


def file_size_limit(limit):
    """For the child: writes past limit bytes fail with EFBIG, as on a full disk."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def tree(folder):
    """Every path under folder with its content (None for a folder): what a run left there."""
    out = {}
    for base, dirs, files in os.walk(folder):
        for d in dirs:
            out[os.path.relpath(os.path.join(base, d), folder)] = None
        for name in files:
            with open(os.path.join(base, name), "rb") as f:
                out[os.path.relpath(os.path.join(base, name), folder)] = f.read()
    return out


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="versus-report-input-")
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def folder(self, name, csv_text=None, env_text=ENV):
        """A results folder; None leaves its file out."""
        path = os.path.join(self.tmp, name)
        os.makedirs(path)
        for file, text in (("results.csv", csv_text), ("env.json", env_text)):
            if text is not None:
                with open(os.path.join(path, file), "wb") as f:
                    f.write(text.encode("utf-8") if isinstance(text, str) else text)
        return path

    def report(self, results, *args, status, says=(), preexec_fn=None):
        """Runs the report as `versus report` does; checks the exit status, that stderr says each
        of says, and that no traceback reached the user. Returns stderr."""
        run = subprocess.run([sys.executable, REPORT, results, *args], capture_output=True, text=True,
                             preexec_fn=preexec_fn, timeout=300)
        self.assertNotIn("Traceback", run.stderr)
        self.assertEqual(run.returncode, status, run.stderr)
        for text in says:
            self.assertIn(text, run.stderr)
        return run.stderr

    def bad_input(self, results, *says, args=()):
        """Exit 2, stderr naming the problem, and no report begun."""
        stderr = self.report(results, "-o", self.out, *args, status=2, says=says)
        self.assertFalse(os.path.exists(self.out), "bad input must stop the report before anything is written")
        self.assertEqual(len(stderr.strip().splitlines()), 1, stderr)
        return stderr


class BadResults(Case):
    def test_header_only_is_an_interrupted_run(self):
        results = self.folder("run", HEADER)
        csv_path = os.path.join(results, "results.csv")
        self.bad_input(results, csv_path + ": no rows, only the header (an interrupted run?",
                       f"versus run --resume {results}")

    def test_empty_file(self):
        results = self.folder("run", "")
        self.bad_input(results, os.path.join(results, "results.csv") + ": empty; expected a results.csv header line")

    def test_missing_file(self):
        results = self.folder("run", None)
        self.bad_input(results, os.path.join(results, "results.csv") + ": no such file")
        self.bad_input(os.path.join(self.tmp, "nowhere"), os.path.join(self.tmp, "nowhere") + ": no such file")

    def test_wrong_header(self):
        results = self.folder("run", "name,value\nx,1\n")
        self.bad_input(results, "results.csv:1: not a results.csv header: no column cell, scenario, runner",
                       "reports/SCHEMA.md")

    def test_a_json_file_given_as_results(self):
        results = self.folder("run", None)
        self.bad_input(os.path.join(results, "env.json"), "env.json:1: not a results.csv header")

    def test_binary_garbage(self):
        results = self.folder("run", HEADER.encode() + b"\x00\x9c\xff\xfe garbage\n")
        self.bad_input(results, "results.csv:2: not text versus wrote (byte 0x9c is not UTF-8)")

    def test_a_short_row_inside_the_file(self):
        results = self.folder("run", HEADER + "".join(ROWS[:2]) + "cpu,serial,1\n" + "".join(ROWS[2:4]))
        fields = HEADER.count(",") + 1
        self.bad_input(results, f"results.csv:4: expected {fields} fields as in the header, found 3")

    def test_a_row_without_a_whole_number_of_workers(self):
        row = ROWS[0].split(",")
        row[3] = "many"
        results = self.folder("run", HEADER + ROWS[1] + ",".join(row))
        self.bad_input(results, "results.csv:3: workers is 'many', expected a whole number")

    def test_a_row_without_a_scenario(self):
        row = ROWS[0].split(",")
        row[1] = ""
        results = self.folder("run", HEADER + ",".join(row))
        self.bad_input(results, "results.csv:2: scenario is empty")


class TornLastRow(Case):
    """What a full disk or a kill mid-row leaves: the whole rows are reported, the torn one said and skipped."""

    def check(self, torn):
        results = self.folder("run", HEADER + "".join(ROWS) + torn)
        self.report(results, "-o", self.out, status=0,
                    says=[f"results.csv:{len(ROWS) + 2}: the last line is incomplete", "was skipped"])
        with open(os.path.join(self.out, "report.html"), encoding="utf-8") as f:
            self.assertIn(f": {len(ROWS)} rows,", f.read())

    def test_cut_mid_row(self):
        self.check(LINES[13][:90])

    def test_cut_inside_a_quoted_field(self):
        self.check(LINES[13].split(",ok,")[0] + ',failed,"worker 2 said: a, b')

    def test_cut_in_the_last_field(self):
        # As many fields as the header, but the host name is cut: still not a whole row.
        self.check(LINES[13].rstrip("\n")[:-2])


class ColumnsOldAndNew(Case):
    def test_results_with_and_without_the_newest_columns_read(self):
        """Results from before cpus and cpu_migrations, and with them."""
        self.report(self.folder("old", HEADER + "".join(ROWS)), "-o", self.out, status=0)
        newer = HEADER.rstrip("\n") + ",cpus,cpu_migrations\n" + "".join(r.rstrip("\n") + ',"0,1",3\n' for r in ROWS)
        self.report(self.folder("new", newer), "-o", os.path.join(self.tmp, "out2"), status=0)


class BadEnv(Case):
    def results(self, env_text, name="run"):
        return self.folder(name, HEADER + "".join(ROWS), env_text)

    def test_missing_env_still_reports_and_says_so(self):
        results = self.results(None)
        self.report(results, "-o", self.out, status=0,
                    says=[os.path.join(results, "env.json") + ": no such file; the report has no environment"])
        self.assertTrue(os.path.exists(os.path.join(self.out, "report.html")))

    def test_empty_env(self):
        results = self.results("")
        self.bad_input(results, os.path.join(results, "env.json") + ": empty; expected the JSON object")

    def test_torn_env(self):
        self.bad_input(self.results('{\n  "host": "al'), "env.json:2: not JSON: Unterminated string")

    def test_env_not_an_object(self):
        self.bad_input(self.results("[1, 2]\n"), "env.json: expected a JSON object, found a list")

    def test_env_with_a_key_of_the_wrong_kind(self):
        env = dict(json.loads(ENV), logical_cores="many")
        self.bad_input(self.results(json.dumps(env)),
                       'env.json: "logical_cores" is a string, expected a whole number or null')
        env = dict(json.loads(ENV), libraries=["benchmark"])
        self.bad_input(self.results(json.dumps(env), "run2"), 'env.json: "libraries" is a list, expected an object')

    def test_env_not_utf8(self):
        self.bad_input(self.results(b'{"host": "\xff"}\n'), "env.json:1: not text versus wrote")


class BadCompare(Case):
    """--compare's folder is read as carefully, and before anything of the report is written."""

    def setUp(self):
        super().setUp()
        self.good = self.folder("good", HEADER + "".join(ROWS))

    def test_header_only(self):
        other = self.folder("other", HEADER)
        self.bad_input(self.good, os.path.join(other, "results.csv") + ": no rows, only the header",
                       args=("--compare", other))

    def test_missing(self):
        other = os.path.join(self.tmp, "other")
        self.bad_input(self.good, other + ": no such file", args=("--compare", other))

    def test_empty_env(self):
        other = self.folder("other", HEADER + "".join(ROWS), "")
        self.bad_input(self.good, os.path.join(other, "env.json") + ": empty", args=("--compare", other))

    def test_torn_row_is_said_of_the_compared_file(self):
        other = self.folder("other", HEADER + "".join(ROWS) + LINES[13][:50])
        self.report(self.good, "-o", self.out, "--compare", other, status=0,
                    says=[os.path.join(other, "results.csv") + f":{len(ROWS) + 2}: the last line is incomplete"])


class CannotWrite(Case):
    """Exit 1, the path and the system's reason said, and nothing of the report left."""

    def setUp(self):
        super().setUp()
        self.results = self.folder("run", HEADER + "".join(ROWS))

    def test_output_under_a_regular_file(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("not a folder")
        before = tree(self.tmp)
        self.report(self.results, "-o", os.path.join(blocker, "sub"), status=1,
                    says=[f"cannot write the report: {blocker}/sub: Not a directory"])
        self.assertEqual(tree(self.tmp), before)

    def test_full_disk_leaves_no_new_folder(self):
        before = tree(self.tmp)
        self.report(self.results, "-o", self.out, status=1, preexec_fn=file_size_limit(4096),
                    says=["cannot write the report: " + os.path.join(self.out, "plots"), "File too large"])
        self.assertEqual(tree(self.tmp), before)

    def test_full_disk_keeps_the_earlier_report_whole(self):
        os.makedirs(os.path.join(self.out, "plots"))
        for name, text in (("report.html", "<p>the earlier report</p>"), ("plots/cpu_speedup.svg", "<svg/>")):
            with open(os.path.join(self.out, name), "w") as f:
                f.write(text)
        before = tree(self.out)
        self.report(self.results, "-o", self.out, status=1, preexec_fn=file_size_limit(4096), says=["File too large"])
        self.assertEqual(tree(self.out), before)


class WriteAll(unittest.TestCase):
    """output.write_all itself, failing after some files are already whole."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="versus-write-all-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    @contextlib.contextmanager
    def file_size_limit(self, limit):
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    def test_a_failure_half_way_leaves_what_was_there(self):
        out = os.path.join(self.tmp, "out")
        os.makedirs(out)
        with open(os.path.join(out, "report.html"), "w") as f:
            f.write("earlier")
        files = {"plots/a.svg": b"small", "plots/b.png": b"x" * 100, "report.html": b"y" * 8192}
        with self.file_size_limit(4096), self.assertRaises(output.WriteError) as caught:
            output.write_all(out, files)
        self.assertEqual(caught.exception.path, os.path.join(out, "report.html"))
        self.assertEqual(tree(out), {"report.html": b"earlier"})

    def test_all_written_when_all_fit(self):
        output.write_all(os.path.join(self.tmp, "new", "out"), {"plots/a.svg": b"a", "report.html": b"b"})
        self.assertEqual(tree(self.tmp), {"new": None, "new/out": None, "new/out/plots": None,
                                          "new/out/plots/a.svg": b"a", "new/out/report.html": b"b"})


if __name__ == "__main__":
    unittest.main()
