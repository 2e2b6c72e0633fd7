"""The Python worker program of versus's py-thread, py-process and py-asyncio runners.

versus starts it under Debian's python3 for one repetition of one cell, writes the cell as one
JSON object on its standard input, and reads its standard output, one line at a time:

    worker INDEX VALUE OPS [MESSAGE]   one per worker row, in index order: its answer, its units
    measure NAME VALUE                 wall_s, cpu_user_s, ..., pss_bytes, lat_p50_us, bytes, ...
    bound CPUS                         under a placement only: the CPUs the workers were found on
                                       once bound, all of them together, ascending ("0,1")
    failed MESSAGE                     the cell raised: the row is `failed`
    crashed MESSAGE                    a worker process died: the row is `crashed`
    done                               the last line of a cell that ran to its end

The input: {"runner": "py-thread", "scenario": "cpu", "workers": 4, "params": {name: value, ...},
"settings": {...}}, where params holds every scenario and runner parameter as text and settings
what the C++ side prepared (redis: host, port, username and password for AUTH, "" for none,
loaded_s; ipc shm: shm_names; every cell: unit_cpus,
the CPU of each unit under the cell's placement, "" under none). The answers are checked on the
C++ side, by the same code that checks the C++ runners' (a worker row's VALUE and OPS), and so is
the binding: `bound` must name exactly the CPUs of unit_cpus.

The units are what a placement binds: a pool's workers (cpu, spawn, redis; numbered in the order
they start), the peers of ipc (2p produces on pair p, 2p+1 consumes), or under py-asyncio the one
thread that runs the event loop. Unit i runs on CPU unit_cpus[i % len(unit_cpus)]. Each binds
itself before the clock starts (placement.py); a CPU it cannot be bound to is a `failed` line."""

import json
import os
import sys
import traceback

import importlib

import placement
import pools

KINDS = {"py-thread": "thread", "py-process": "process", "py-asyncio": "asyncio"}
# Each module has run_workers(kind, api, start, workers, params, settings) for threads and
# processes, and run_asyncio(workers, params, settings).
SCENARIOS = {"cpu": "cpu", "ipc": "ipc", "redis": "redis_work", "spawn": "spawn"}


def run(spec):
    kind = KINDS[spec["runner"]]
    p, workers, settings = spec["params"], int(spec["workers"]), spec.get("settings", {})
    scenario = spec["scenario"]
    api = p.get("py_pool", "pool")
    start = None if p.get("py_start", "default") == "default" else p["py_start"]
    if scenario not in SCENARIOS:
        raise ValueError(f"the Python runners do not run scenario {scenario}; they run {', '.join(SCENARIOS)}")
    # Imported on demand: redis-py is needed by the redis cells only.
    module = importlib.import_module(SCENARIOS[scenario])
    if kind == "asyncio":
        # The loop runs on this thread: it is the one unit, bound before the loop is made.
        cpus = placement.unit_cpus(settings)
        bound = placement.bind_to({cpus[0]}, "the event loop's thread") if cpus else None
        outcome = module.run_asyncio(workers, p, settings)
        outcome.bound = bound
        return outcome
    return module.run_workers(kind, api, start, workers, p, settings)


def one_line(text):
    """A message on one line of ASCII: what cannot be shown as ASCII is escaped, so any locale
    reads it and the CSV holds valid text."""
    return " ".join(str(text).split()).encode("ascii", "backslashreplace").decode("ascii")


def last_word(line):
    """Says how the cell ended and leaves at once: a worker left waiting for a dead peer would
    hold up the interpreter's exit (it joins its threads and child processes), and versus kills
    the whole process group once this process is gone."""
    print(line, flush=True)
    sys.stderr.flush()
    os._exit(0)


def main():
    out = sys.stdout
    try:
        outcome = run(json.loads(sys.stdin.readline()))
    except pools.WorkerDied as e:
        last_word("crashed " + one_line(e))
    except Exception as e:  # noqa: BLE001 - every error becomes the row's message
        traceback.print_exc(file=sys.stderr)
        last_word("failed " + one_line(f"{type(e).__name__}: {e}"))
    for i, s in enumerate(outcome.shares):
        print("worker", i, int(s.value), int(s.ops), one_line(s.message), file=out)
    for name, value in outcome.measures.items():
        print("measure", name, repr(float(value)) if isinstance(value, float) else int(value), file=out)
    if outcome.bound is not None:
        print("bound", placement.cpu_list(outcome.bound), file=out)
    last_word("done")


if __name__ == "__main__":
    sys.exit(main())
