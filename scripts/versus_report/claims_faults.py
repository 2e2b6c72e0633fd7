"""What a crash takes down (C16), read from the internal selftest scenario's cells where one worker
dies of SIGSEGV on purpose (fault=crash): a process among processes (fork) against a thread among
threads (pthread). Such a cell is `crashed` by design; what matters is what its row says went
down with the worker."""

import re

from .claims_base import ClaimVerdict, _no_data

# What the fork runner writes when one worker process died while the others had not ended
# (runners/fork.cc): how many of the other workers were still running.
SIBLINGS_RUNNING = re.compile(r"the other (\d+) of (\d+) workers were still running")
# What the harness writes when the repetition's own process died, with every thread in it
# (bench/harness/repetition.cc).
WHOLE_PROCESS = "repetition process killed by signal"


def _crash_cell(cells, runner):
    """The first crashed selftest cell of `runner` with a worker crashing on purpose, or None."""
    if "p_fault" not in cells:
        return None
    got = cells[(cells["scenario"] == "selftest") & (cells["runner"] == runner) & (cells["p_fault"] == "crash")
                & (cells["status"] == "crashed") & (cells["workers"] >= 2)]
    return None if got.empty else got.iloc[0]


def c16_crash_reach(cells, env):
    fork, thread = _crash_cell(cells, "fork"), _crash_cell(cells, "pthread")
    if fork is None or thread is None:
        return _no_data("selftest with fault=crash under fork and under pthread, at 2 workers or more")
    siblings = SIBLINGS_RUNNING.search(fork["message"])
    spared = siblings is not None and int(siblings.group(1)) == int(siblings.group(2)) > 0
    whole = WHOLE_PROCESS in thread["message"]
    text = (f"selftest, one worker crashing (SIGSEGV) among {int(fork['workers'])} processes: \"{fork['message']}\"; "
            f"among {int(thread['workers'])} threads: \"{thread['message']}\"")
    if spared and whole:
        return ClaimVerdict("holds", text + ". The kernel ended one process and left its siblings running; a "
                                            "thread's crash ended the process and every thread in it.")
    if not whole:
        return ClaimVerdict("does not hold", text + ": the crashing thread did not take its process down.")
    return ClaimVerdict("does not hold", text + ": the crashing process's siblings did not all run on.")
