"""What every Python cell shares: the outcome it reports, the measured phase, the test faults."""

import os
import signal
import threading
import time
from dataclasses import dataclass, field

import proc_measures


@dataclass
class Share:
    """One worker row: its part of the work, with the answer it found (value), the units it did
    (ops) and the first thing it found wrong."""
    value: int = 0
    ops: int = 0
    message: str = ""


@dataclass
class Outcome:
    shares: list
    measures: dict = field(default_factory=dict)
    bound: tuple = None  # the CPUs the workers were found on once bound; None under placement=none


def measured(pids, body):
    """Runs body() as the measured phase of processes `pids` (workers already made) and returns
    (its result, the measures): wall time, CPU and switches of the phase, peak RSS since it began
    and PSS at its end, sampled while every worker is still alive."""
    proc_measures.reset_peak(pids)
    before = proc_measures.usage(pids)
    t0 = time.perf_counter()
    result = body()
    wall = time.perf_counter() - t0
    measures = {"wall_s": wall}
    measures.update(proc_measures.usage_delta(before, proc_measures.usage(pids)))
    measures.update(proc_measures.memory(pids))
    return result, measures


def latency_measures(latencies):
    """Percentiles (nearest rank) of per-request latencies in ns, as lat_*_us measures."""
    if not latencies:
        return {}
    s = sorted(latencies)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1e3  # noqa: E731
    return {"lat_p50_us": pick(0.5), "lat_p90_us": pick(0.9), "lat_p99_us": pick(0.99), "lat_p999_us": pick(0.999)}


class StartLine:
    """The start of the measured phase for workers that are not a pool: each worker, once ready
    (started, warmed up), calls arrived() and waits for go; the parent waits for all of them
    without ever blocking for long, so a worker that died or raised meanwhile ends the cell at
    once; then opens `go` with the clock, and `leave` once the memory has been sampled."""

    def __init__(self, ctx=None):
        self.ready = ctx.Semaphore(0) if ctx else threading.Semaphore(0)
        self.go = ctx.Event() if ctx else threading.Event()
        self.leave = ctx.Event() if ctx else threading.Event()

    def arrived(self):
        self.ready.release()
        self.go.wait(timeout=600)

    def wait_for(self, count, check):
        """Until `count` workers arrived; check() raises if one has failed or died."""
        arrived = 0
        while arrived < count:
            if self.ready.acquire(timeout=0.05):
                arrived += 1
            else:
                check()


class Errors:
    """What workers raised, for the parent: a list among threads, a queue between processes."""

    def __init__(self, ctx=None):
        self.queue = ctx.SimpleQueue() if ctx else None
        self.seen = []

    def add(self, what):
        if self.queue is not None:
            self.queue.put(what)
        else:
            self.seen.append(what)

    def raise_first(self):
        if self.queue is not None and not self.queue.empty():
            self.seen.append(self.queue.get())
        if self.seen:
            raise RuntimeError(self.seen[0])


def injure(fault):
    """py_fault, for tests: the task raises, or its process is killed (a thread's is the whole
    interpreter, as a crashing thread takes its process down)."""
    if fault == "raise":
        raise RuntimeError("py_fault=raise: a task raised, as the test asked")
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)


def split(total, parts, i):
    """[lo, hi) of part i of `total` units in `parts` nearly equal parts (the C++ split)."""
    return total * i // parts, total * (i + 1) // parts
