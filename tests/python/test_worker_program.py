"""The Python worker program's own logic (scripts/versus_py), apart from the C++ side: the checks
that decide whether a Python row is right, the /proc measures, and the line protocol."""

import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "..", "..", "scripts", "versus_py")
sys.path.insert(0, PROGRAM)

import cell  # noqa: E402
import ipc  # noqa: E402
import proc_measures  # noqa: E402

try:
    import redis_work  # noqa: E402
except ImportError:  # redis-py missing: the redis cases skip
    redis_work = None


def run_program(spec):
    done = subprocess.run([sys.executable, os.path.join(PROGRAM, "worker.py")], input=json.dumps(spec) + "\n",
                          capture_output=True, text=True, timeout=120)
    return done.stdout.splitlines()


class Protocol(unittest.TestCase):
    def test_a_cell_gives_a_row_per_worker_then_measures_then_done(self):
        lines = run_program({"runner": "py-thread", "scenario": "cpu", "workers": 3,
                             "params": {"start": "100", "count": "50", "split": "static", "chunk": "10"}})
        workers = [l.split() for l in lines if l.startswith("worker ")]
        self.assertEqual([int(w[1]) for w in workers], [0, 1, 2])
        self.assertEqual(sum(int(w[3]) for w in workers), 50)
        self.assertEqual(sum(int(w[2]) for w in workers), sum(1 for n in range(100, 150) if all(n % d for d in range(2, n))))
        self.assertIn("measure wall_s", "\n".join(lines))
        self.assertEqual(lines[-1], "done")

    def test_an_unknown_scenario_is_a_failed_line_naming_what_is_run(self):
        lines = run_program({"runner": "py-thread", "scenario": "mux", "workers": 1, "params": {}})
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("failed "), lines)
        self.assertIn("mux", lines[0])
        self.assertIn("cpu, ipc, redis, spawn", lines[0])


class Measures(unittest.TestCase):
    def test_busy_cpu_and_memory_are_seen(self):
        pid = os.getpid()
        before = proc_measures.usage([pid])
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
        used = proc_measures.usage_delta(before, proc_measures.usage([pid]))
        self.assertGreater(used["cpu_user_s"] + used["cpu_sys_s"], 0.1)
        mem = proc_measures.memory([pid])
        self.assertGreater(mem["pss_bytes"], 1 << 20)
        self.assertGreaterEqual(mem["rss_peak_bytes"], mem["pss_bytes"] // 2)

    def test_a_vanished_process_counts_nothing(self):
        child = subprocess.Popen(["true"])
        child.wait()
        self.assertEqual(proc_measures.memory([child.pid]), {"rss_peak_bytes": 0, "pss_bytes": 0})
        self.assertFalse(proc_measures.alive(child.pid))
        self.assertTrue(proc_measures.alive(os.getpid()))

    def test_percentiles_are_nearest_rank(self):
        lat = cell.latency_measures(list(range(1000, 101000, 1000)))  # 1..100 us
        self.assertEqual(lat["lat_p50_us"], 51.0)
        self.assertEqual(lat["lat_p99_us"], 100.0)
        self.assertEqual(cell.latency_measures([]), {})


class Messages(unittest.TestCase):
    def test_a_damaged_or_misplaced_message_is_not_intact(self):
        patterns = ipc._patterns(64)
        m = ipc.message(7, patterns)
        self.assertEqual(len(m), 64)
        self.assertTrue(ipc.intact(m, 7, patterns))
        self.assertFalse(ipc.intact(m, 8, patterns))
        flipped = bytearray(m)
        flipped[40] ^= 1
        self.assertFalse(ipc.intact(bytes(flipped), 7, patterns))


@unittest.skipIf(redis_work is None, "redis-py does not import (python3-redis)")
class RedisChecks(unittest.TestCase):
    def scan(self, keys=10, workers=2):
        loaded = time.monotonic()
        return redis_work.TtlScan({"keys": str(keys), "scan_count": "5"}, {"loaded_s": str(loaded)}, workers)

    def test_foreign_and_repeated_keys_are_not_asked(self):
        s = self.scan()
        first, index = s.take([b"versus:key:1", b"versus:key:2", b"other:key:3", b"versus:key:x", b"versus:key:99"])
        self.assertEqual(first, [b"versus:key:1", b"versus:key:2"])
        self.assertEqual(list(index), [1, 2])
        self.assertEqual(s.take([b"versus:key:2", b"versus:key:3"])[0], [b"versus:key:3"])

    def answer(self, s, keys, reply):
        """Takes keys 0..keys-1 from one SCAN reply and stores reply(i) for each."""
        batch, index = s.take([redis_work.key_name(i).encode() for i in range(keys)])
        s.record(index, [reply(i) for i in index])

    def test_a_ttl_off_what_was_loaded_is_wrong(self):
        s = self.scan()
        off = {3: 1, 8: -600}  # longer than it was set with; ten minutes gone in a second
        self.answer(s, 10, lambda i: redis_work.packed(redis_work.ttl_of(i) + off.get(i, 0), 1000))
        out = s.outcome({})
        self.assertEqual([sh.ops for sh in out.shares], [5, 5])
        self.assertEqual([sh.value for sh in out.shares], [4, 4])
        self.assertIn("versus:key:3", out.shares[0].message)
        self.assertIn("versus:key:8", out.shares[1].message)
        self.assertEqual(out.measures["lat_p50_us"], 1.0)

    def test_keys_scan_never_saw_fail_the_first_share(self):
        s = self.scan()
        self.answer(s, 9, lambda i: redis_work.packed(redis_work.ttl_of(i), 1))
        out = s.outcome({})
        self.assertEqual(out.shares[0].value, 0)
        self.assertIn("1 of the 10 keys", out.shares[0].message)

    def test_keys_asked_but_never_answered_fail_the_first_share(self):
        s = self.scan(keys=4, workers=1)
        batch, index = s.take([redis_work.key_name(i).encode() for i in range(4)])
        s.record(index, [redis_work.packed(redis_work.ttl_of(i), 1) for i in index[:3]])
        out = s.outcome({})
        self.assertEqual(out.shares[0].value, 0)
        self.assertIn("1 of the 4 keys were asked but never answered", out.shares[0].message)

    def test_the_wrong_fault_expects_another_keys_ttl_half_way(self):
        s = redis_work.TtlScan({"keys": "10", "scan_count": "5", "fault": "wrong"}, {"loaded_s": str(time.monotonic())}, 1)
        self.answer(s, 10, lambda i: redis_work.packed(redis_work.ttl_of(i), 1))
        out = s.outcome({})
        self.assertEqual(out.shares[0].value, 9)
        self.assertIn("versus:key:5", out.shares[0].message)

    def test_a_packed_reply_gives_back_its_ttl_and_latency(self):
        for seconds in (-2, -1, 0, 1, 3600, 2 * 86400 + 3600):
            for ns in (0, 1, 123456789):
                self.assertEqual(redis_work.unpacked(redis_work.packed(seconds, ns)), (seconds, ns))
        self.assertEqual(redis_work.unpacked(redis_work.packed(5, 1 << 50)), (5, (1 << 40) - 1))
        # Not an integer: kept as it came, so the check names it.
        self.assertEqual(redis_work.unpacked(redis_work.packed(None, 7)), (None, 7))

    def test_a_reply_that_is_not_a_ttl_is_wrong(self):
        # Not an integer; integers no Redis gives as a TTL, one of them where a marker would be.
        for odd in (b"OK", 1 << 40, -(1 << 22), -3):
            s = self.scan(keys=2, workers=1)
            self.answer(s, 2, lambda i: redis_work.packed(redis_work.ttl_of(0) if i == 0 else odd, 5))
            out = s.outcome({})
            self.assertEqual(out.shares[0].value, 1, odd)
            self.assertIn(f"versus:key:1 answered {odd!r}", out.shares[0].message)

    def test_requests_split_over_connections_and_mixed_reads_what_it_wrote(self):
        p = {"op": "mixed", "keys": "10", "value_size": "16", "requests": "11", "pipeline": "1"}
        conns = [redis_work.Requests(p, i, 3) for i in range(3)]
        self.assertEqual(sum(c.quota for c in conns), 11)
        c = conns[1]
        (set_args, ok), (get_args, expected) = c.command(0), c.command(1)
        self.assertEqual(set_args[0], "SET")
        self.assertIs(ok, True)
        self.assertEqual(get_args, ("GET", set_args[1]))
        self.assertEqual(expected, set_args[2])
        self.assertEqual(len(expected), 16)


if __name__ == "__main__":
    unittest.main()
