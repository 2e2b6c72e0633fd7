"""cpu, kernel=primes: the numbers of [start, start+count) tested by seed 001's is_prime, split
over the workers; the C++ side checks the count against its sieve."""

import math
import os

from cell import Outcome, Share, injure, measured, split
from placement import unit_cpus
from pools import Pool


def is_prime(n):  # seed 001, as written there
    if n < 2:
        return False
    for i in range(2, int(math.sqrt(n)) + 1):
        if n % i == 0:
            return False
    return True


def count_range(task):
    lo, hi, fault = task
    if fault != "none":
        injure(fault)
    return sum(1 for n in range(lo, hi) if is_prime(n)), hi - lo


def tasks(p, workers):
    """static: a range per worker; dynamic: ranges of `chunk` numbers, taken as workers free up.
    Each task carries the fault for the test cell's first task only."""
    start, count, fault = int(p["start"]), int(p["count"]), p.get("py_fault", "none")
    if p["split"] == "static":
        bounds = [split(count, workers, i) for i in range(workers)]
    else:
        chunk = int(p["chunk"])
        bounds = [(a, min(a + chunk, count)) for a in range(0, count, chunk)]
    return [(start + lo, start + hi, fault if k == 0 else "none") for k, (lo, hi) in enumerate(bounds)]


def shares_of(results, workers):
    """Task k's result belongs to worker row k % workers (with split=static, task k is worker k's)."""
    shares = [Share() for _ in range(workers)]
    for k, (primes, tested) in enumerate(results):
        shares[k % workers].value += primes
        shares[k % workers].ops += tested
    return shares


def run_workers(kind, api, start, workers, p, settings):
    work = tasks(p, workers)
    pool = Pool(kind, api, workers, start, cpus=unit_cpus(settings))
    try:
        results, measures = measured(pool.pids(), lambda: pool.map(count_range, work))
    finally:
        pool.close()
    return Outcome(shares_of(results, workers), measures, pool.bound)


def run_asyncio(workers, p, settings):
    """Coroutines on one loop, each taking tasks and yielding between them, as a fiber does."""
    import asyncio  # here: a thread or process cell does not carry it

    work = tasks(p, workers)
    results = [None] * len(work)

    unclaimed = iter(range(len(work)))  # one thread: taking the next task needs no lock

    async def worker():
        for k in unclaimed:
            results[k] = count_range(work[k])
            await asyncio.sleep(0)

    async def all_workers():
        await asyncio.gather(*(worker() for _ in range(workers)))

    _, measures = measured([os.getpid()], lambda: asyncio.run(all_workers()))
    return Outcome(shares_of(results, workers), measures)
