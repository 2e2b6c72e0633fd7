"""Every number a claim rule decides by, named once.

The rules in claims.py, claims_io.py and claims_py.py, and stability.py's rule on each cell, read
these names and write no threshold of their own; a number that means the same in the C++ and the
Python rules is one constant here. Each comes with what it decides and why that value. Ratios are
of the medians of a cell's repetitions. Where a claim says "far more" or "much more" and gives no
figure, the comment says which words the value stands for: it is the rule's reading of them, not a
measured bound.
"""

# Cores and speedups: C4, C15, C17.

# C4: the cores taken when env.json gives none; the fewest that tell one core from every core.
ASSUMED_CORES = 2
# C4: work "uses every core" at this share of the ideal speedup (the workers) or more; fork, C++
# threads and py-process are held to the same share.
EVERY_CORE = 0.7
# C4, C15: work "reaches one core only" below this speedup over one worker (fibers on one thread,
# py-thread), and py-thread below this many cores kept busy (the seed: about 102% CPU).
ONE_CORE = 1.3
# C15 (cpu): fibers on several threads bring parallelism back above this speedup, clear of ONE_CORE.
FIBER_THREADS_SPEEDUP = 1.5
# C17: more workers than cores "add nothing" while their speedup stays within 15% of that at the cores.
PLATEAU = 1.15

# Rates of processes against threads: C2, C6, C10, C12, C18.

# C2, C6, C12, C18: two rates or times are "the same" within 10%; past this ratio one is faster
# (C6, C12: the event loop "no faster" at or below it) or dearer (C2: a process switch over a
# thread's). C18: where the ends run "decides more" when its factor (spread/same, per peer kind)
# exceeds that of the peer kind (fork/pthread, per placement) by more than this ratio; within it the
# two weigh the same.
SAME_SPEED = 1.1
# C6, C10: below this ratio of rates (processes / threads) processes are "slower": the low side of
# SAME_SPEED's 10%.
SLOWER = 0.9

# Creating workers: C1, C11.

# C1: creating a process costs "far more" than a thread at twice pthread's time or more, at every
# count made at once.
CREATE_FAR_DEARER = 2
# C1: and no more than a thread below 1.2x at every count; in between, it depends on the count.
CREATE_NO_DEARER = 1.2
# C11: a reused pool "pays" where it runs more than twice the tasks per second of a worker made per task.
POOL_GAIN = 2

# Memory: C3.

# C3: a process costs "much more" memory than a thread at this ratio of PSS per worker or more, in
# C++ (fork / pthread) and in Python (py-process / py-thread) alike.
MEMORY_DEARER = 3.0
# C3 (Python): below this ratio of PSS per worker a process costs "about what a thread does".
SAME_MEMORY = 1.5
# C3: what a worker adds is compared against at least this (MiB): a thread's own cost, some tens
# of KiB, can measure as nothing or less between two counts of live workers.
MIN_MIB = 0.01

# IPC: C8.

# C8: larger messages "lower the cost" where the largest moves more than 1.2x the smallest's bytes/s.
BATCHING_GAIN = 1.2

# The Redis TTL scan: C5.

# C5: more workers "finish sooner" at this speedup or more, from the fewest workers to the most.
SOONER = 1.5
# C5: threads "keep up" with processes at this ratio of their time or less, at the most workers.
KEEPS_UP = 1.25

# Event loops against threads: C12 (SAME_SPEED), C13, C14, C15.

# C13: a runner's time per event "grows" with the descriptors watched past this ratio, largest set
# to smallest; below it, it is flat. Repetitions on a small VM spread by up to 1.5x.
GROWS = 1.5
# C13: a runner's growth is judged only where its descriptors span this factor, fewest to most.
TENFOLD = 10
# C13: FD_SETSIZE, a fact and not a choice: select cannot watch a descriptor numbered past it.
SELECT_LIMIT = 1024
# C14: "thousands of connections": only settings at this many connections or more count.
MANY_CONNECTIONS = 1000
# C14: thread per connection "stops scaling" at twice epoll's time per event or worse (or not running).
FALLS_BEHIND = 2
# C15 (redis, server waiting): one fiber thread "suffices" at this share of several threads' replies/s.
ONE_THREAD_SHARE = 0.8
# C15 (redis, no wait): more fiber threads "add" parallelism at this ratio of one thread's replies/s.
FIBER_THREADS_ADD = 1.2

# Latency under load: C19.

# C19: the open loop runs "at about half the peak" at this share of the closed loop's rate on the same
# stalling server: loaded enough to queue behind a stall, far enough from saturation that its p99 is
# the stall's and not the queue's.
HALF_LOAD = 0.5
# C19: an open-loop cell within this much of HALF_LOAD (rate=30% to 70%) stands for it; nearest wins.
NEAR_HALF = 0.2
# C19: the open loop "shows" a stall where its p99 reaches this share of the stall. A request due
# partway through a stall waits only the rest of it, so with stalls a tenth of the time the p99 sits
# near, not at, the stall; half is the bar (10 ms for a 20 ms stall).
SHOWS_STALL = 0.5
# C19: the closed loop "hides" a stall while its p99 on the stalling server stays within this ratio of
# its p99 on a server that does not stall.
HIDES_STALL = 3

# Whether a cell's repetitions agree (stability.py): the mark `unstable` on a cell, and on a claim
# that reads it. versus's own summary and `versus compare` judge by the same numbers
# (bench/results/stability.h), which tests/fixtures/stability's worked cases check on either side.

# Fewer clean repetitions than this are not judged: of two, one slow run is a gap and a spread at
# once, with no third to say which of the two is the usual time.
FEWEST_JUDGED = 3
# Sorted times with two neighbours more than this ratio apart fall into two groups (bimodal): half
# again as long is more than a small VM's repetitions spread by, and is what a run moved off its
# CPU, or sharing it, costs.
BIMODAL_GAP = 1.5
# Above this interquartile range over the median the repetitions spread too far to trust a ratio of
# medians: SAME_SPEED and SLOWER tell runners apart at 10%, and a spread wider than that could
# move a verdict across them.
UNSTABLE_SPREAD = 0.10
# A claim reading unstable cells keeps its verdict when the rule says the same with them at the
# ends of their middle half (claims_base.judged): all at one end, all at the other, and each of the
# first this many alone against the rest. Eight covers a comparison of runners at one setting; a
# claim over a whole scenario, resting on more, is tried at the first eight and all together:
# at most 18 evaluations of its rule.
UNSTABLE_TRIED_ALONE = 8
# A clean repetition names something else's CPU time (other_cpu_s) or a hypervisor's steal (steal_s)
# as a cause past this share of its wall time: versus's default --interference-limit, counted
# against the wall time alone rather than wall time x the cell's CPUs, so that load kept under the
# limit on a cell of several CPUs is still named.
OTHER_TIME_SHARE = 0.05
# ...and past this many seconds: two ticks of /proc/stat's clock (USER_HZ, 100 per second on Linux),
# below which other_cpu_s and steal_s are its rounding rather than anything that ran.
OTHER_TIME_FLOOR = 0.02
