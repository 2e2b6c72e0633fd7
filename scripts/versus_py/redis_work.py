"""redis: the same workloads as the C++ client (scenarios/redis/workload.cc), made with redis-py,
against the server the C++ side started and loaded (or the real Redis it was given).
get, set, mixed: worker i is connection i's share of the requests, every reply checked.
ttl_scan: seed 004's job as written there, timed whole as the seed timed it: SCAN a batch of
scan_count, pool.map of TTL over it, the next batch; every TTL checked, every key once. (The C++
rows SCAN before the clock: with few, large batches, as the seed's 50,000, the difference is a
handful of round trips.)"""

import os
import time
from array import array

import redis

from cell import Outcome, Share, injure, latency_measures, measured
from placement import unit_cpus
from pools import Pool

_MASK = (1 << 64) - 1
_PRIVATE_KEYS = 1024  # keys each connection of set and mixed writes over and over
_WRITTEN_TTL = 3600  # seconds: as workload.cc, no key written is left for good in a user's Redis


def mix(x):  # splitmix64's finaliser, as workload.cc spreads request numbers over the keys
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def key_name(i):
    return f"versus:key:{i}"


def value_of(i, size):
    head = f"v{i}:"
    return (head + chr(ord("a") + i % 26) * size)[:size].encode()


def ttl_of(i):
    return 3600 + mix(i) % (2 * 86400)


class Requests:
    """Connection `index` of `count`: request j is global request g = index + j * count, so the
    keys and values are those the C++ client asks for."""

    def __init__(self, p, index, count):
        self.op, self.keys, self.size = p["op"], int(p["keys"]), int(p["value_size"])
        self.index, self.count = index, count
        total = int(p["requests"])
        self.quota = total // count + (1 if index < total % count else 0)
        self.pipeline = int(p["pipeline"])
        self.fault = p.get("fault", "none") if index == 0 else "none"

    def command(self, j):
        """(args, expected reply) of request j."""
        g = self.index + j * self.count
        if self.op == "get":
            key = mix(g) % self.keys
            return ("GET", key_name(key)), value_of(key, self.size)
        slot = (j // 2 if self.op == "mixed" else j) % _PRIVATE_KEYS
        key = f"versus:c{self.index}:{slot}"
        if self.op == "mixed" and j % 2 == 1:
            return ("GET", key), value_of(g - self.count, self.size)
        return ("SET", key, value_of(g, self.size), "EX", _WRITTEN_TTL), True

    def batches(self):
        for first in range(0, self.quota, self.pipeline):
            batch = [self.command(j) for j in range(first, min(first + self.pipeline, self.quota))]
            if self.fault != "none" and first <= self.quota // 2 < first + len(batch):
                if self.fault == "crash":
                    injure("kill")
                args, _ = batch[-1]
                batch[-1] = (args, b"a value the test made wrong")
            yield batch


class Tally:
    def __init__(self):
        self.right = self.asked = 0
        self.wrong = ""
        self.latency_ns = array("q")  # 8 bytes a request, not a Python int each

    def check(self, expected, reply, args, latency_ns):
        self.asked += 1
        self.latency_ns.append(latency_ns)
        if reply == expected:
            self.right += 1
        elif not self.wrong:
            self.wrong = f"{' '.join(map(str, args[:2]))} answered {reply!r:.80}, expected {expected!r:.80}"

    def result(self):
        return self.right, self.asked, self.wrong, self.latency_ns


_client = None  # in each process of a process pool; shared by the threads of a thread pool


def server_of(settings):
    """redis.Redis's keyword arguments for the server the C++ side names: where it is, and the user
    and password to AUTH with (from the settings on stdin, never from the command line)."""
    return {"host": settings["host"], "port": int(settings["port"]),
            "username": settings.get("username") or None, "password": settings.get("password") or None}


def configure(server, connections=1):
    """The client of this process, with `connections` connections made now, before the clock (the
    C++ runners open theirs before it too; redis-py would open them at first use). redis-py sends
    AUTH first on each connection when `server` has a password."""
    global _client
    _client = redis.Redis(**server)
    made = [_client.connection_pool.get_connection("PING") for _ in range(connections)]
    for c in made:
        _client.connection_pool.release(c)


def connection_share(task):
    p, index, count = task
    if index == 0 and p.get("py_fault", "none") != "none":
        injure(p["py_fault"])
    tally = Tally()
    for batch in Requests(p, index, count).batches():
        t0 = time.perf_counter_ns()
        if len(batch) == 1:
            replies = [_client.execute_command(*batch[0][0])]
        else:
            pipe = _client.pipeline(transaction=False)
            for args, _ in batch:
                pipe.execute_command(*args)
            replies = pipe.execute()
        t = time.perf_counter_ns() - t0
        for (args, expected), reply in zip(batch, replies):
            tally.check(expected, reply, args, t)
    return tally.result()


_NS_BITS = 40  # the latency of one TTL call, up to some 18 minutes
_NS_MASK = (1 << _NS_BITS) - 1
_TTL_LIMIT = 1 << 22  # a packed TTL is below it (48 days); Redis answers -2 (no key), -1 (no expiry)


def packed(seconds, ns):
    """A TTL reply and its latency as one int. The seed's map returns None for every key; a batch
    of 50,000 (seconds, ns) tuples would hold some 4 MiB more than its script does, and memory is
    half of what seed 004's table compares. A reply that is not an int from -2 to _TTL_LIMIT stays
    as it came, so every packed value lies in [-2 << 40, 1 << 62), clear of TtlScan's markers.
    It runs in the workers on the clock, once a key: plain comparisons, no calls."""
    if type(seconds) is int and -2 <= seconds < _TTL_LIMIT:
        return (seconds << _NS_BITS) | (ns if ns < _NS_MASK else _NS_MASK)
    return seconds, ns


def unpacked(reply):
    """(seconds, ns) of what packed() made."""
    return (reply >> _NS_BITS, reply & _NS_MASK) if isinstance(reply, int) else reply


def ttl(key):  # seed 004's _process_id_list, returning what it got so it can be checked
    t0 = time.perf_counter_ns()
    seconds = _client.ttl(key)
    return packed(seconds, time.perf_counter_ns() - t0)


def ttl_or_fault(task):
    key, fault = task
    if fault != "none":
        injure(fault)
    return ttl(key)


def key_index(name):
    tail = name[len(b"versus:key:"):]
    return int(tail) if name.startswith(b"versus:key:") and tail.isdigit() else None


# What TtlScan.got holds for a key before its reply does, below any packed reply.
_UNASKED = -(1 << 62)  # not yet taken from a SCAN reply
_ASKED = _UNASKED + 1  # taken and sent to the pool, no reply stored
_ODD = _UNASKED + 2  # answered with what packed() left unpacked (kept in TtlScan.odd)


class TtlScan:
    """seed 004's loop, with the clock running as the seed's did: SCAN a batch of scan_count,
    pool.map the TTLs over it, SCAN the next. Only the loaded keys are asked, each once (a real
    Redis may hold other keys under the prefix, and may return a key twice while it rehashes).
    On the clock a reply is only stored, packed with its latency, in one int a key; outcome()
    checks them all once the clock has stopped, so between batches this process does little more
    than the seed's does: every TTL must be the one loaded less the time since, every key answered."""

    def __init__(self, p, settings, workers):
        self.keys, self.count, self.workers = int(p["keys"]), int(p["scan_count"]), workers
        self.fault = p.get("py_fault", "none")  # on the first key
        # The scenario's test fault, half-way as the C++ client has it: the process asking that
        # key's TTL is killed (crash), or the right reply is expected to be another key's (wrong).
        self.halfway, self.halfway_fault = self.keys // 2, p.get("fault", "none")
        self.wrong_key = None
        self.loaded_s = float(settings["loaded_s"])
        self.got = array("q", [_UNASKED]) * self.keys
        self.odd = {}
        self.short = ""
        self.n = 0  # keys whose replies are stored

    def take(self, names):
        """The part of a SCAN reply to ask the TTL of: (names, their key numbers)."""
        batch, index, got = [], array("q"), self.got
        for name in names:
            i = key_index(name)
            if i is not None and i < self.keys and got[i] == _UNASKED:
                got[i] = _ASKED
                batch.append(name)
                index.append(i)
        return batch, index

    def faults(self, batch):
        """The fault each key of the batch about to be asked carries, or None when none does."""
        out = ["none"] * len(batch)
        if self.fault != "none":
            out[0], self.fault = self.fault, "none"
        if self.halfway_fault == "crash" and self.n <= self.halfway < self.n + len(batch):
            out[self.halfway - self.n] = "kill"
        return out if any(f != "none" for f in out) else None

    def tasks(self, batch):
        """What pool.map is given: the keys, or for a test each key with its fault."""
        faults = self.faults(batch)
        return (ttl, batch) if faults is None else (ttl_or_fault, list(zip(batch, faults)))

    def record(self, index, replies):
        """Stores a batch's replies by key number."""
        if self.halfway_fault == "wrong" and self.n <= self.halfway < self.n + len(index):
            self.wrong_key = index[self.halfway - self.n]
        self.n += len(index)
        got = self.got
        for i, reply in zip(index, replies):
            if type(reply) is int:
                got[i] = reply
            else:
                got[i] = _ODD
                self.odd[i] = reply
        if len(replies) != len(index) and not self.short:
            self.short = f"{len(replies)} replies to a batch of {len(index)} keys"

    def run(self, client, pool):
        cursor = 0
        while True:
            cursor, names = client.scan(cursor=cursor, match="versus:key:*", count=self.count)
            batch, index = self.take(names)
            if batch:
                fn, items = self.tasks(batch)
                self.record(index, pool.map(fn, items))
            if cursor == 0:
                return

    async def run_async(self, client, workers):
        """The same loop on one event loop: `workers` coroutines share each batch, as a pool would."""
        import asyncio
        cursor = 0
        while True:
            cursor, names = await client.scan(cursor=cursor, match="versus:key:*", count=self.count)
            batch, index = self.take(names)
            if batch:
                faults = self.faults(batch)
                replies = [None] * len(batch)
                unclaimed = iter(enumerate(batch))  # one thread: taking the next key needs no lock

                async def worker():
                    for j, key in unclaimed:
                        if faults is not None:
                            injure(faults[j])
                        t0 = time.perf_counter_ns()
                        replies[j] = packed(await client.ttl(key), time.perf_counter_ns() - t0)

                await asyncio.gather(*(worker() for _ in range(workers)))
                self.record(index, replies)
            if cursor == 0:
                return

    def outcome(self, measures):
        """Checks every key's reply, with the clock stopped: key i's in worker row i * workers // keys."""
        elapsed = time.monotonic() - self.loaded_s + 1
        shares = [Share() for _ in range(self.workers)]
        latency = array("q")
        unseen = unanswered = 0
        for i, reply in enumerate(self.got):
            if reply == _UNASKED or reply == _ASKED:
                unseen += reply == _UNASKED
                unanswered += reply == _ASKED
                continue
            seconds, ns = unpacked(self.odd[i] if reply == _ODD else reply)
            share = shares[min(i * self.workers // self.keys, self.workers - 1)]
            share.ops += 1
            latency.append(ns)
            full = ttl_of(i ^ 1 if i == self.wrong_key else i)
            if isinstance(seconds, int) and full - elapsed - 1 <= seconds <= full:
                share.value += 1
            elif not share.message:
                share.message = f"TTL {key_name(i)} answered {seconds!r}, loaded with {full} {elapsed:.0f} s ago"
        first = shares[0]
        if self.short:
            first.message = self.short
        if unanswered:
            first.value, first.message = 0, f"{unanswered} of the {self.keys} keys were asked but never answered"
        if unseen:
            first.value, first.message = 0, f"{unseen} of the {self.keys} keys were never seen by SCAN"
        measures.update(latency_measures(latency))
        return Outcome(shares, measures)


def run_workers(kind, api, start, workers, p, settings):
    server = server_of(settings)
    # Threads share one client and its connection pool, as the seed's do; processes make their own.
    configure(server, workers if kind == "thread" else 1)
    setup = (configure, (server,)) if kind == "process" else (None, ())
    pool = Pool(kind, api, workers, start, *setup, cpus=unit_cpus(settings))
    try:
        if p["op"] == "ttl_scan":
            scan = TtlScan(p, settings, workers)
            _, measures = measured(pool.pids(), lambda: scan.run(_client, pool))
            outcome = scan.outcome(measures)
            outcome.bound = pool.bound
            return outcome
        tasks = [(p, i, workers) for i in range(workers)]
        results, measures = measured(pool.pids(), lambda: pool.map(connection_share, tasks, chunksize=1))
    finally:
        pool.close()
    measures.update(latency_measures([t for r in results for t in r[3]]))
    return Outcome([Share(r[0], r[1], r[2]) for r in results], measures, pool.bound)


def run_asyncio(workers, p, settings):
    """One event loop, `workers` coroutines, each its own connection from redis.asyncio's pool."""
    import asyncio  # here: a thread or process cell does not carry it

    import redis.asyncio
    fault = p.get("py_fault", "none")
    scan = TtlScan(p, settings, workers) if p["op"] == "ttl_scan" else None

    async def share(client, index):
        if index == 0 and fault != "none":
            injure(fault)
        tally = Tally()
        for batch in Requests(p, index, workers).batches():
            t0 = time.perf_counter_ns()
            if len(batch) == 1:
                replies = [await client.execute_command(*batch[0][0])]
            else:
                pipe = client.pipeline(transaction=False)
                for args, _ in batch:
                    pipe.execute_command(*args)
                replies = await pipe.execute()
            t = time.perf_counter_ns() - t0
            for (args, expected), reply in zip(batch, replies):
                tally.check(expected, reply, args, t)
        return tally.result()

    client = redis.asyncio.Redis(**server_of(settings))

    async def body():
        if scan is not None:
            return await scan.run_async(client, workers)
        return await asyncio.gather(*(share(client, i) for i in range(workers)))

    async def connect_all():
        await asyncio.gather(*(client.ping() for _ in range(workers)))

    loop = asyncio.new_event_loop()
    try:
        # Every connection is made before the clock, as the C++ runners open theirs.
        loop.run_until_complete(connect_all())
        results, measures = measured([os.getpid()], lambda: loop.run_until_complete(body()))
    finally:
        loop.run_until_complete(client.close())
        loop.close()
    if scan is not None:
        return scan.outcome(measures)
    measures.update(latency_measures([t for r in results for t in r[3]]))
    return Outcome([Share(r[0], r[1], r[2]) for r in results], measures)
