"""redis: the same workloads as the C++ client (scenarios/redis/workload.cc), made with redis-py,
against the server the C++ side started and loaded (or the real Redis it was given).
get, set, mixed: worker i is connection i's share of the requests, every reply checked.
ttl_scan: seed 004's job as written there: SCAN in batches of scan_count (before the clock, as
the C++ rows do), then pool.map of TTL over each batch, every TTL checked, every key once."""

import asyncio
import os
import time

import redis
import redis.asyncio

from cell import Outcome, Share, injure, latency_measures, measured
from pools import Pool

_MASK = (1 << 64) - 1
_PRIVATE_KEYS = 1024  # keys each connection of set and mixed writes over and over


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
        return ("SET", key, value_of(g, self.size)), True

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
        self.latency_ns = []

    def check(self, expected, reply, args, latency_ns):
        self.asked += 1
        self.latency_ns.append(latency_ns)
        if reply == expected:
            self.right += 1
        elif not self.wrong:
            self.wrong = f"{' '.join(map(str, args[:2]))} answered {reply!r:.80}, expected {expected!r:.80}"

    def result(self):
        return self.right, self.asked, self.wrong, self.latency_ns


_client = None
_fault_key, _fault = None, "none"  # ttl_scan: the key whose task carries py_fault, and the fault


def configure(host, port, fault_key, fault):
    global _client, _fault_key, _fault
    _client = redis.Redis(host=host, port=port)
    _fault_key, _fault = fault_key, fault


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


def ttl(key):  # seed 004's _process_id_list, returning what it got so it can be checked
    if key == _fault_key:
        injure(_fault)
    t0 = time.perf_counter_ns()
    seconds = _client.ttl(key)
    return seconds, time.perf_counter_ns() - t0



def scan_batches(client, count, keys):
    """The seed's _scan_iter: batches as SCAN returns them until the cursor is back at 0. Only the
    loaded keys are kept, each once (a real Redis may hold other keys under the prefix, and may
    return a key twice while it rehashes)."""
    batches, seen, cursor = [], set(), 0
    while True:
        cursor, names = client.scan(cursor=cursor, match="versus:key:*", count=count)
        batch = []
        for name in names:
            i = key_index(name)
            if i is not None and i < keys and i not in seen:
                seen.add(i)
                batch.append(name)
        if batch:
            batches.append(batch)
        if cursor == 0:
            return batches


def key_index(name):
    tail = name[len(b"versus:key:"):]
    return int(tail) if name.startswith(b"versus:key:") and tail.isdigit() else None


def check_ttls(p, settings, batches, replies, workers):
    """Every loaded key answered once with the TTL it was loaded with, less the time since."""
    keys = int(p["keys"])
    elapsed = time.monotonic() - float(settings["loaded_s"]) + 1
    answered = [0] * keys
    flat = [k for b in batches for k in b]
    shares = [Share() for _ in range(workers)]
    for n, (key, (seconds, _)) in enumerate(zip(flat, replies)):
        share = shares[n * workers // len(flat)]
        share.ops += 1
        i = key_index(key)
        answered[i] += 1
        if ttl_of(i) - elapsed - 1 <= seconds <= ttl_of(i) and answered[i] == 1:
            share.value += 1
        elif not share.message:
            share.message = f"TTL {key.decode()} answered {seconds} (time {answered[i]}), loaded with {ttl_of(i)}"
    missing = answered.count(0)
    if missing:
        shares[0].message = shares[0].message or f"{missing} of the {keys} keys were never seen by SCAN"
        shares[0].value = 0
    return shares


def run_workers(kind, api, start, workers, p, settings):
    host, port = settings["host"], int(settings["port"])
    fault = p.get("py_fault", "none")
    if p["op"] == "ttl_scan":
        batches = scan_batches(redis.Redis(host=host, port=port), int(p["scan_count"]), int(p["keys"]))
        fault_key = batches[0][0] if fault != "none" else None
    else:
        batches, fault_key = None, None
    # Threads share one client and its connection pool, as the seed's do; processes make their own.
    configure(host, port, fault_key, fault)
    setup = (configure, (host, port, fault_key, fault)) if kind == "process" else (None, ())
    pool = Pool(kind, api, workers, start, *setup)
    try:
        if batches is not None:
            def body():
                return [r for b in batches for r in pool.map(ttl, b)]
            replies, measures = measured(pool.pids(), body)
        else:
            tasks = [(p, i, workers) for i in range(workers)]
            results, measures = measured(pool.pids(), lambda: pool.map(connection_share, tasks, chunksize=1))
    finally:
        pool.close()
    if batches is not None:
        measures.update(latency_measures([t for _, t in replies]))
        return Outcome(check_ttls(p, settings, batches, replies, workers), measures)
    measures.update(latency_measures([t for r in results for t in r[3]]))
    return Outcome([Share(r[0], r[1], r[2]) for r in results], measures)


def run_asyncio(workers, p, settings):
    """One event loop, `workers` coroutines, each its own connection from redis.asyncio's pool."""
    host, port = settings["host"], int(settings["port"])
    fault = p.get("py_fault", "none")
    batches = scan_batches(redis.Redis(host=host, port=port), int(p["scan_count"]), int(p["keys"])) if p["op"] == "ttl_scan" else None

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

    async def scan_share(client, keys, replies, first):
        for n, key in keys:
            if first and fault != "none":
                injure(fault)
                first = False
            t0 = time.perf_counter_ns()
            replies[n] = (await client.ttl(key), time.perf_counter_ns() - t0)

    client = redis.asyncio.Redis(host=host, port=port)

    async def body():
        if batches is None:
            return await asyncio.gather(*(share(client, i) for i in range(workers)))
        replies = [None] * sum(len(b) for b in batches)
        first = 0
        for b in batches:  # as pool.map: a batch is done before the next begins
            unclaimed = iter(enumerate(b, first))
            await asyncio.gather(*(scan_share(client, unclaimed, replies, first == 0 and i == 0)
                                   for i in range(workers)))
            first += len(b)
        return replies

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
    if batches is not None:
        measures.update(latency_measures([t for _, t in results]))
        return Outcome(check_ttls(p, settings, batches, results, workers), measures)
    measures.update(latency_measures([t for r in results for t in r[3]]))
    return Outcome([Share(r[0], r[1], r[2]) for r in results], measures)

