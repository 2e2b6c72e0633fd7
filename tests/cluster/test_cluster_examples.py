"""The job-system files of scripts/cluster without a cluster: each shard command, run (or read) for
every shard, names K/N for exactly K = 1..N with N the job's own count and a folder of its own,
and a merge step joins those folders. The commands run with a stand-in versus that records its
arguments. Exit 77 (skipped) when PyYAML is missing."""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

try:
    import yaml
except ImportError:
    print("SKIP: no PyYAML for this Python (Debian: python3-yaml, scripts/setup.sh --tests)")
    sys.exit(77)

CLUSTER = Path(__file__).resolve().parents[2] / "scripts" / "cluster"

STUB = """#!/bin/sh
echo "$*" >> "$STUB_LOG"
"""


class StubVersus:
    """A folder with a stand-in versus that appends its command line to a log."""

    def __init__(self, folder):
        self.bin = Path(folder) / "versus"
        self.bin.write_text(STUB)
        self.bin.chmod(0o755)
        self.log = Path(folder) / "calls"

    def calls(self):
        return [shlex.split(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def env(self, **more):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STUB_LOG": str(self.log), **more}


def option(args, name):
    return args[args.index(name) + 1] if name in args else None


def shard_of(args):
    k, n = option(args, "--shard").split("/")
    return int(k), int(n)


class SlurmArrayScript(unittest.TestCase):
    """full.sbatch, run as each task of its default array would run it."""

    script = CLUSTER / "full.sbatch"

    def array_size(self):
        m = re.search(r"^#SBATCH --array=1-(\d+)$", self.script.read_text(), re.M)
        self.assertIsNotNone(m, "full.sbatch sets no #SBATCH --array=1-N")
        return int(m.group(1))

    def run_task(self, tmp, stub, task, count, **more):
        array = {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": str(count),
                 "SLURM_ARRAY_TASK_COUNT": str(count)}
        env = stub.env(**{**array, **more}, VERSUS_BIN=str(stub.bin), VERSUS_RESULTS=str(Path(tmp) / "results"))
        return subprocess.run(["bash", str(self.script)], env=env, cwd=tmp, capture_output=True, text=True)

    def test_each_task_runs_its_shard_of_the_array(self):
        n = self.array_size()
        self.assertIn("#SBATCH --exclusive", self.script.read_text())
        with tempfile.TemporaryDirectory() as tmp:
            stub = StubVersus(tmp)
            for task in range(1, n + 1):
                done = self.run_task(tmp, stub, task, n)
                self.assertEqual(done.returncode, 0, done.stderr)
            calls = stub.calls()
            self.assertEqual(sorted(shard_of(c) for c in calls), [(k, n) for k in range(1, n + 1)])
            for c in calls:
                self.assertEqual(c[:1], ["run"])
                self.assertEqual(option(c, "--preset"), "full")
                self.assertEqual(option(c, "--out"), f"{tmp}/results/full-{shard_of(c)[0]}")

    def test_an_array_that_is_not_1_to_n_needs_versus_shards(self):
        with tempfile.TemporaryDirectory() as tmp:
            stub = StubVersus(tmp)
            done = self.run_task(tmp, stub, 3, 1, SLURM_ARRAY_TASK_MIN="3", SLURM_ARRAY_TASK_MAX="3")
            self.assertEqual(done.returncode, 2)
            self.assertIn("VERSUS_SHARDS", done.stderr)
            done = self.run_task(tmp, stub, 3, 1, SLURM_ARRAY_TASK_MIN="3", SLURM_ARRAY_TASK_MAX="3",
                                 VERSUS_SHARDS="8", VERSUS_PRESET="quick")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual([(shard_of(c), option(c, "--preset")) for c in stub.calls()], [((3, 8), "quick")])

    def test_a_task_run_again_resumes_its_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            stub = StubVersus(tmp)
            out = Path(tmp) / "results" / "full-2"
            out.mkdir(parents=True)
            (out / "matrix.json").write_text("{}")
            done = self.run_task(tmp, stub, 2, 8)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(stub.calls(), [["run", "--resume", str(out), "--quiet"]])


class KubernetesIndexedJob(unittest.TestCase):
    """full-indexed-job.yaml: the Indexed Job's pod script for every index, then the merge Job's."""

    def setUp(self):
        docs = list(yaml.safe_load_all((CLUSTER / "full-indexed-job.yaml").read_text()))
        self.jobs = {d["metadata"]["name"]: d for d in docs}
        self.assertEqual(set(self.jobs), {"versus-full", "versus-full-merge"})
        for d in docs:
            self.assertEqual((d["apiVersion"], d["kind"]), ("batch/v1", "Job"))

    def script_of(self, job, folder, stub):
        pod = job["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        (mount,) = container["volumeMounts"]
        script = "\n".join(container["args"])
        # The pod's paths, moved into this test's folder.
        return script.replace("/versus/build/versus", str(stub.bin)).replace(mount["mountPath"], folder)

    def test_the_indexes_run_shards_1_to_n_on_nodes_of_their_own(self):
        job = self.jobs["versus-full"]
        spec = job["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        n = spec["completions"]
        self.assertEqual(spec["parallelism"], n)
        pod = spec["template"]
        (term,) = pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        self.assertEqual(term["topologyKey"], "kubernetes.io/hostname")
        self.assertLessEqual(term["labelSelector"]["matchLabels"].items(), pod["metadata"]["labels"].items())
        with tempfile.TemporaryDirectory() as tmp:
            stub = StubVersus(tmp)
            script = self.script_of(job, f"{tmp}/results", stub)
            for index in range(n):
                done = subprocess.run(["bash", "-c", script], env=stub.env(JOB_COMPLETION_INDEX=str(index)),
                                      capture_output=True, text=True)
                self.assertEqual(done.returncode, 0, done.stderr)
            calls = stub.calls()
            self.assertEqual(sorted(shard_of(c) for c in calls), [(k, n) for k in range(1, n + 1)])
            self.assertEqual(sorted(option(c, "--out") for c in calls),
                             sorted(f"{tmp}/results/full-{k}" for k in range(1, n + 1)))

    def test_the_merge_waits_suspended_and_joins_every_shard(self):
        n = self.jobs["versus-full"]["spec"]["completions"]
        merge = self.jobs["versus-full-merge"]
        self.assertIs(merge["spec"]["suspend"], True)
        claim = lambda job: job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
        self.assertEqual(claim(merge), claim(self.jobs["versus-full"]))
        with tempfile.TemporaryDirectory() as tmp:
            stub = StubVersus(tmp)
            script = self.script_of(merge, f"{tmp}/results", stub)
            for k in range(1, n):
                Path(tmp, "results", f"full-{k}").mkdir(parents=True)
            short = subprocess.run(["bash", "-c", script], env=stub.env(), capture_output=True, text=True)
            self.assertNotEqual(short.returncode, 0, "merged with a shard missing")
            self.assertEqual(stub.calls(), [])
            Path(tmp, "results", f"full-{n}").mkdir()
            done = subprocess.run(["bash", "-c", script], env=stub.env(), capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            (call,) = stub.calls()
            self.assertEqual(call[0], "merge")
            self.assertEqual(sorted(call[1:-2]), sorted(f"{tmp}/results/full-{k}/" for k in range(1, n + 1)))
            self.assertEqual(call[-2:], ["-o", f"{tmp}/results/full"])


class GitHubActionsMatrix(unittest.TestCase):
    """full-ci-matrix.example.yml: the shard job for every matrix value, then the merge job."""

    def setUp(self):
        self.jobs = yaml.safe_load((CLUSTER / "full-ci-matrix.example.yml").read_text())["jobs"]

    def test_the_matrix_runs_shards_1_to_n(self):
        shard = self.jobs["shard"]
        self.assertIs(shard["strategy"]["fail-fast"], False)
        values = shard["strategy"]["matrix"]["shard"]
        (run,) = [s["run"] for s in shard["steps"] if "versus run" in s.get("run", "")]
        uploads = [s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
        self.assertEqual(len(uploads), 1)
        seen = []
        for value in values:
            args = shlex.split(run.replace("${{ matrix.shard }}", str(value)))
            seen.append(shard_of(args))
            upload = {k: v.replace("${{ matrix.shard }}", str(value)) for k, v in uploads[0]["with"].items()}
            self.assertEqual(upload["path"], option(args, "--out"))
            self.assertEqual(upload["name"], f"full-{value}")
        n = len(values)
        self.assertEqual(sorted(seen), [(k, n) for k in range(1, n + 1)])

    def test_the_merge_job_joins_every_shard(self):
        merge = self.jobs["merge"]
        self.assertIn("shard", [merge["needs"]] if isinstance(merge["needs"], str) else merge["needs"])
        (download,) = [s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
        self.assertEqual(download["with"]["pattern"], "full-*")
        commands = [line.strip() for s in merge["steps"] for line in s.get("run", "").splitlines()]
        self.assertIn(f"build/versus merge {download['with']['path']}/full-*/ -o results/full", commands)


if __name__ == "__main__":
    unittest.main(verbosity=2)
