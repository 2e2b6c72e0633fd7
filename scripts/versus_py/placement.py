"""Where a cell's workers run. versus plans one CPU per unit under the cell's placement and hands
the plan over as settings["unit_cpus"] ("0,1", unit i's CPU at i modulo its length; empty under
placement=none). Each unit binds itself, first thing and before the clock starts, then reads back
where the kernel lets it run: the program reports the union (the `bound` line) and versus holds
it to the plan, so a worker that ran elsewhere fails the row instead of giving a number."""

import os
import threading


class BindError(Exception):
    """A unit could not be bound to its CPU (one this machine does not have or allow)."""


def unit_cpus(settings):
    """The CPU of each unit, in unit order; [] under placement=none."""
    text = settings.get("unit_cpus", "")
    try:
        return [int(cpu) for cpu in text.split(",")] if text else []
    except ValueError:
        raise ValueError(f"unit_cpus is '{text}', not a list of CPU numbers") from None


def bind(cpus, unit, who):
    """Binds the calling thread to unit `unit`'s CPU and returns the CPUs it may run on now,
    ascending; () under placement=none, where nothing is bound. `who` names the unit in an error
    ("peer" for peer 3). On Linux pid 0 names the calling thread, not the whole process, so a
    pool's thread binds itself alone."""
    if not cpus:
        return ()
    return bind_to({cpus[unit % len(cpus)]}, f"{who} {unit}")


def bind_to(wanted, who):
    """Binds the calling thread to the CPUs `wanted` and returns those it may run on, read back.
    The kernel accepts a set of which only some CPUs exist and keeps those: what it kept must be
    all that was asked, or the unit would run on fewer CPUs than the plan says."""
    try:
        os.sched_setaffinity(0, wanted)
    except OSError as e:
        raise BindError(f"{who} cannot be bound to CPU {cpu_list(wanted)}: {e.strerror or e}") from None
    found = tuple(sorted(os.sched_getaffinity(0)))
    if set(found) != set(wanted):
        raise BindError(f"{who} was bound to CPU {cpu_list(wanted)} but may run on CPU {cpu_list(found)}")
    return found


def cpu_list(cpus):
    """The CPUs as the `bound` line writes them: distinct, ascending, comma-separated."""
    return ",".join(str(cpu) for cpu in sorted(set(cpus)))


def union(found):
    """The CPUs any of the units of `found` (tuples from bind) may run on, ascending."""
    return tuple(sorted({cpu for cpus in found for cpu in cpus}))


class Numbers:
    """Hands out 0, 1, 2, ...: each pool worker takes its unit number in its initializer. A pool
    names no worker, so the number is the order in which they start. Processes share a
    multiprocessing Value and its lock; threads a number under a lock of threads, which a process
    could not be handed (it does not pickle), hence one or the other."""

    def __init__(self, ctx=None):
        self._shared = ctx.Value("i", 0) if ctx else None
        self._lock = None if ctx else threading.Lock()
        self._next = 0

    def take(self):
        lock = self._shared.get_lock() if self._shared is not None else self._lock
        with lock:
            if self._shared is not None:
                n, self._shared.value = self._shared.value, self._shared.value + 1
            else:
                n, self._next = self._next, self._next + 1
        return n
