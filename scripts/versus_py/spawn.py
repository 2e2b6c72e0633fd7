"""spawn: what a Python worker costs. mode=create: `rounds` times, start `workers` Processes (or
Threads, or asyncio tasks), each doing a token task, and join them, with the clock running.
mode=alive: every worker alive at once while the memory of the cell's processes is sampled.
mode=pool: the same number of token tasks as create, done by a pool made before the clock.
Under a placement, pool's workers bind themselves as every pool's do. create's and alive's are made
on the clock, so they do not: the thread that makes them binds itself to every CPU of the plan
before the clock, and each starts with its maker's binding (a new thread or process inherits it),
as versus's C++ runners make theirs; no binding call is timed."""

import multiprocessing
import os
import threading

from cell import Errors, Outcome, Share, StartLine, injure, measured
from placement import bind_to, unit_cpus
from pools import Pool, WorkerDied
import proc_measures


def token(kb, fault):
    """The token task: touch `kb` KiB of memory and say whether it holds what was written."""
    if fault != "none":
        injure(fault)
    if kb == 0:
        return 1
    mine = bytearray(b"\x5a") * (kb * 1024)
    return 1 if mine[len(mine) // 2] == 0x5A else 0


def _token_into(done, slot, kb, fault, errors, line=None):
    """A worker of create and alive: its task into its slot; a raise goes to `errors`, so the
    row is failed with it (not a thread's traceback lost, not a process's exit status)."""
    try:
        done[2 * slot] += token(kb, fault)
        done[2 * slot + 1] += 1
    except Exception as e:  # noqa: BLE001 - the row's message
        errors.add(f"worker {slot}: {type(e).__name__}: {e}")
        return
    if line is not None:  # alive: stay until the memory has been sampled
        line.ready.release()
        line.leave.wait(timeout=600)


def _pool_token(task):
    kb, fault = task
    return token(kb, fault)


def _make(kind, ctx, target, args):
    if kind == "process":
        return ctx.Process(target=target, args=args)
    return threading.Thread(target=target, args=args)


def _join(workers, kind, errors):
    for w in workers:
        w.join()
    _check(workers, kind, errors)


def _check(workers, kind, errors):
    """Raises for a worker that raised (failed) or a process that ended badly (crashed)."""
    errors.raise_first()
    for w in workers:
        if kind == "process" and w.exitcode:
            how = f"was killed by signal {-w.exitcode}" if w.exitcode < 0 else f"exited with status {w.exitcode}"
            raise WorkerDied(f"worker process {w.pid} {how}")


def run_workers(kind, api, start, workers, p, settings):
    mode, rounds, kb, fault = p["mode"], int(p["rounds"]), int(p["worker_kb"]), p.get("py_fault", "none")
    heap = bytearray(b"\x01") * (int(p["parent_heap_mb"]) << 20)  # touched before any worker exists
    ctx = multiprocessing.get_context(start)
    cpus = unit_cpus(settings)
    if mode == "pool":
        pool = Pool(kind, api, workers, start, cpus=cpus)
        tasks = [(kb, fault if k == 0 else "none") for k in range(workers * rounds)]
        try:
            results, measures = measured(pool.pids(), lambda: pool.map(_pool_token, tasks))
        finally:
            pool.close()
        shares = [Share(sum(results[i * rounds:(i + 1) * rounds]), rounds) for i in range(workers)]
        return Outcome(shares, measures, pool.bound)

    bound = bind_to(set(cpus), "the thread that makes the workers") if cpus else None  # they inherit it

    done = ctx.Array("q", 2 * workers, lock=False) if kind == "process" else [0] * (2 * workers)
    errors = Errors(ctx if kind == "process" else None)
    if mode == "create":
        def body():
            for r in range(rounds):
                ws = [_make(kind, ctx, _token_into, (done, i, kb, fault if r == 0 and i == 0 else "none", errors))
                      for i in range(workers)]
                for w in ws:
                    w.start()
                _join(ws, kind, errors)
        _, measures = measured([os.getpid()], body)
    else:  # alive: the clock covers making them until all are alive and done with their task
        line = StartLine(ctx if kind == "process" else None)
        ws = [_make(kind, ctx, _token_into, (done, i, kb, fault if i == 0 else "none", errors, line))
              for i in range(workers)]

        def body():
            for w in ws:
                w.start()
            line.wait_for(workers, lambda: _check(ws, kind, errors))

        _, measures = measured([os.getpid()], body)
        measures.update(proc_measures.memory([os.getpid()] + ([w.pid for w in ws] if kind == "process" else [])))
        line.leave.set()
        _join(ws, kind, errors)
    del heap
    return Outcome([Share(done[2 * i], done[2 * i + 1]) for i in range(workers)], measures, bound)


def run_asyncio(workers, p, settings):
    import asyncio  # here: a thread or process cell does not carry it

    mode, rounds, kb, fault = p["mode"], int(p["rounds"]), int(p["worker_kb"]), p.get("py_fault", "none")
    heap = bytearray(b"\x01") * (int(p["parent_heap_mb"]) << 20)
    done = [0] * (2 * workers)
    per_worker = rounds if mode == "pool" else 1

    async def one(slot, first):
        for t in range(per_worker):
            done[2 * slot] += token(kb, fault if first and t == 0 else "none")
            done[2 * slot + 1] += 1
            await asyncio.sleep(0)

    async def body():
        for r in range(rounds if mode == "create" else 1):
            await asyncio.gather(*(asyncio.create_task(one(i, r == 0 and i == 0)) for i in range(workers)))

    _, measures = measured([os.getpid()], lambda: asyncio.run(body()))
    del heap
    return Outcome([Share(done[2 * i], done[2 * i + 1]) for i in range(workers)], measures)
