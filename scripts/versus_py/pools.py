"""The pools the seeds use, behind one small interface: multiprocessing.Pool and its thread twin
(seed 004's multiprocessing.dummy), or concurrent.futures' executors (seeds 001 and 003). Each is
filled before the clock starts: every worker exists, has run its initializer (which binds it to its
CPU under a placement) and has said where it runs."""

import multiprocessing
import multiprocessing.pool
import os
import threading

import placement
import proc_measures


class WorkerDied(Exception):
    """A worker process ended while the pool was working: the cell crashed."""


_meeting = None  # the warm-up barrier, in each worker
_mine = threading.local()  # what a worker keeps of its own: the threads of a pool share the module


def _worker_init(barrier, numbers, cpus, setup, setup_args):
    global _meeting
    _meeting = barrier
    unit = numbers.take()
    _mine.bind_error = ""
    try:
        placement.bind(cpus, unit, "pool worker")
    except placement.BindError as e:
        # Raised here, it would make multiprocessing.Pool start a new worker in its place for ever
        # and break an executor without the reason; the warm-up task hands it back instead.
        _mine.bind_error = str(e)
    if setup is not None:
        setup(*setup_args)


def _meet(_):
    """The warm-up task: once every worker holds one, each says which process it is, where the
    thread that runs its tasks may run (read now, in that thread) and why it could not be bound."""
    _meeting.wait(timeout=120)
    return os.getpid(), tuple(sorted(os.sched_getaffinity(0))), _mine.bind_error


class Pool:
    """`kind` thread or process, `api` pool (multiprocessing) or executor (concurrent.futures),
    `start` the multiprocessing start method (None: the platform's default). `setup(*args)` runs
    once in every worker before it takes tasks (a process's redis client). `cpus`: each worker's
    CPU, in the order the workers start (placement.unit_cpus); `bound` is then the union of the
    CPUs they were found on, None under placement=none."""

    def __init__(self, kind, api, workers, start=None, setup=None, setup_args=(), cpus=()):
        self.kind, self.api, self.workers = kind, api, workers
        ctx = multiprocessing.get_context(start) if kind == "process" else None
        barrier = ctx.Barrier(workers) if ctx else threading.Barrier(workers)
        initargs = (barrier, placement.Numbers(ctx), list(cpus), setup, setup_args)
        if kind == "process" and api == "pool":
            self._pool = ctx.Pool(workers, initializer=_worker_init, initargs=initargs)
        elif kind == "process":
            import concurrent.futures  # here: a multiprocessing.Pool cell does not carry it
            self._pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                                                                initargs=initargs)
        elif api == "pool":
            self._pool = multiprocessing.pool.ThreadPool(workers, initializer=_worker_init, initargs=initargs)
        else:
            import concurrent.futures
            self._pool = concurrent.futures.ThreadPoolExecutor(workers, initializer=_worker_init, initargs=initargs)
        self._pids = []
        self.broken = False
        # One warm-up task per worker, each waiting for all the others: every worker is up.
        met = self.map(_meet, range(workers), chunksize=1)
        self._pids = sorted({pid for pid, _, _ in met})
        errors = [error for _, _, error in met if error]
        if errors:
            self.close()
            raise placement.BindError(errors[0])
        self.bound = placement.union(found for _, found, _ in met) if cpus else None

    def pids(self):
        """The processes of the cell: this one and, for processes, the workers."""
        return [os.getpid()] + (self._pids if self.kind == "process" else [])

    def map(self, fn, items, chunksize=None):
        """fn over items, results in order, as each API does it by default (multiprocessing.Pool
        picks a chunk size; an executor sends one item per task) unless chunksize is given."""
        if self.api == "executor":
            from concurrent.futures.process import BrokenProcessPool
            try:
                return list(self._pool.map(fn, items, chunksize=chunksize or 1))
            except BrokenProcessPool as e:
                self.broken = True
                raise WorkerDied(f"a worker process ended abruptly: {e}") from e
        pending = self._pool.map_async(fn, items, chunksize)
        # multiprocessing.Pool replaces a worker that died and waits forever for its tasks, so
        # the workers seen at warm-up are watched while the results are awaited.
        while not pending.ready():
            pending.wait(0.1)
            if self.kind == "process" and self._pids and not pending.ready():
                gone = [p for p in self._pids if not proc_measures.alive(p)]
                if gone:
                    self.broken = True
                    raise WorkerDied(f"worker process {gone[0]} ended while its tasks were running")
        return pending.get()

    def close(self):
        # After a worker died, shutting the pool down can wait for ever on what it held (a queue's
        # lock); the program ends at once instead and versus kills what is left.
        if self.broken:
            return
        if self.api == "executor":
            self._pool.shutdown(wait=True, cancel_futures=True)
        else:
            self._pool.terminate()
            self._pool.join()
