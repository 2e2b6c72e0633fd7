"""ipc: a producer and a consumer per pair, as seed 001 and 000 pass data between processes:
multiprocessing's Pipe (channel=pipe: os.pipe, one each way; socketpair: a duplex Pipe),
its Queue (channel=queue: the runner's own queue, multiprocessing.Queue, queue.Queue or
asyncio.Queue) or shared_memory (channel=shm: a ring of slots guarded by two semaphores).
Every message carries its sequence number and a pattern that the receiver checks."""

import asyncio
import multiprocessing
import os
import queue
import socket
import threading
import time
from multiprocessing import shared_memory

from cell import Outcome, Share, StartLine, injure, latency_measures, measured
from placement import BindError, bind, union, unit_cpus
from pools import WorkerDied

_SLOTS = 64  # messages a shm ring or a queue holds
ASYNCIO_CHANNELS = ("queue", "socketpair")


def _patterns(size):
    return [bytes([k]) * (size - 8) for k in range(256)]


def message(seq, patterns):
    return seq.to_bytes(8, "little") + patterns[seq % 256]


def intact(msg, seq, patterns):
    return msg[:8] == seq.to_bytes(8, "little") and msg[8:] == patterns[seq % 256]


class ConnEnd:
    """One side over multiprocessing Connections (send_bytes/recv_bytes: no pickling)."""

    def __init__(self, tx, rx):
        self.tx, self.rx = tx, rx

    def send(self, b):
        self.tx.send_bytes(b)

    def recv(self):
        return self.rx.recv_bytes()


class QueueEnd:
    def __init__(self, tx, rx):
        self.tx, self.rx = tx, rx

    def send(self, b):
        self.tx.put(b)

    def recv(self):
        return self.rx.get()


class Ring:
    """A single-producer single-consumer ring of fixed-size slots in a SharedMemory block."""

    def __init__(self, shm, size, items, spaces):
        self.shm, self.size, self.items, self.spaces = shm, size, items, spaces


class RingEnd:
    def __init__(self, tx, rx):
        self.tx, self.rx = tx, rx
        self.sent = self.received = 0

    def send(self, b):
        r = self.tx
        r.spaces.acquire()
        at = self.sent % _SLOTS * r.size
        r.shm.buf[at:at + len(b)] = b
        self.sent += 1
        r.items.release()

    def recv(self):
        r = self.rx
        r.items.acquire()
        at = self.received % _SLOTS * r.size
        b = bytes(r.shm.buf[at:at + r.size])
        self.received += 1
        r.spaces.release()
        return b


def make_channel(kind, ctx, channel, size, names):
    """(producer end, consumer end, what to release at the end). shm uses `names` (one a way),
    which versus registered for its harness to remove if the cell leaves them."""
    if channel == "pipe":
        (ab_r, ab_w), (ba_r, ba_w) = ctx.Pipe(duplex=False), ctx.Pipe(duplex=False)
        return ConnEnd(ab_w, ba_r), ConnEnd(ba_w, ab_r), []
    if channel == "socketpair":
        a, b = ctx.Pipe(duplex=True)
        return ConnEnd(a, a), ConnEnd(b, b), []
    if channel == "queue":
        make = ctx.Queue if kind == "process" else queue.Queue
        ab, ba = make(_SLOTS), make(_SLOTS)  # bounded, as the C++ queue: a producer cannot run ahead
        return QueueEnd(ab, ba), QueueEnd(ba, ab), []
    sem = ctx.Semaphore if kind == "process" else threading.Semaphore
    rings, blocks = [], []
    for name in names:
        shm = shared_memory.SharedMemory(name=name.lstrip("/"), create=True, size=_SLOTS * size)
        blocks.append(shm)
        rings.append(Ring(shm, size, sem(0), sem(_SLOTS)))
    return RingEnd(rings[0], rings[1]), RingEnd(rings[1], rings[0]), blocks


def peer(index, end, cfg, line, results, cpus):
    """Worker `index`: 2p produces on pair p, 2p+1 consumes. Bound to its CPU (under a placement),
    warm-up, start line, the measured messages, its tally handed back with the CPUs it was found
    on, then it stays until the memory has been sampled. An error is handed back instead, so the
    parent ends the cell at once."""
    try:
        found = bind(cpus, index, "peer")
        exchange_all(index, end, cfg, line, results, found)
    except BindError as e:  # it names the peer already
        results.put((index, None, 0, str(e), [], ()))
    except Exception as e:  # noqa: BLE001 - the row's message
        results.put((index, None, 0, f"peer {index}: {type(e).__name__}: {e}", [], ()))


def exchange_all(index, end, cfg, line, results, found):
    producer = index % 2 == 0
    pingpong, n, warmup = cfg["pingpong"], cfg["messages"], cfg["warmup"]
    patterns = _patterns(cfg["msg_size"])
    latency, good, wrong = [], 0, ""

    def exchange(seq, timed):
        if producer:
            t0 = time.perf_counter_ns()
            end.send(message(seq, patterns))
            if not pingpong:
                return True
            ok = intact(end.recv(), seq, patterns)
            if timed:
                latency.append(time.perf_counter_ns() - t0)
            return ok
        msg = end.recv()
        if pingpong:
            end.send(msg)
        return intact(msg, seq, patterns)

    for seq in range(warmup):
        exchange(seq, False)
    line.arrived()
    if index == 0 and cfg["fault"] != "none":
        injure(cfg["fault"])
    for seq in range(warmup, warmup + n):
        if exchange(seq, True):
            good += 1
        elif not wrong:
            wrong = f"message {seq} arrived damaged or out of order"
    ops = n if pingpong == producer else 0  # each message counted once, as the C++ rows do
    results.put((index, good, ops, wrong, latency, found))
    line.leave.wait(timeout=600)


def run_workers(kind, api, start_method, workers, p, settings):
    """The clock starts once every peer is up and warmed up, as the C++ runners' start line."""
    cfg = config(p)
    ctx = multiprocessing.get_context(start_method)
    pairs = workers // 2
    line = StartLine(ctx if kind == "process" else None)
    results = ctx.Queue() if kind == "process" else queue.Queue()
    names = settings.get("shm_names", "").split(",")
    cpus = unit_cpus(settings)
    blocks, peers = [], []
    try:
        for pair in range(pairs):
            ends = make_channel(kind, ctx, p["channel"], cfg["msg_size"], names[2 * pair:2 * pair + 2])
            blocks += ends[2]
            for side in (0, 1):
                args = (2 * pair + side, ends[side], cfg, line, results, cpus)
                peers.append(ctx.Process(target=peer, args=args) if kind == "process"
                             else threading.Thread(target=peer, args=args))
        for w in peers:
            w.start()
        pids = [os.getpid()] + ([w.pid for w in peers] if kind == "process" else [])
        line.wait_for(len(peers), lambda: early_error(results, peers, kind))

        def body():
            line.go.set()
            return [collect(results, peers, kind) for _ in peers]

        tallies, measures = measured(pids, body)
        line.leave.set()
        for w in peers:
            w.join()
    finally:
        for shm in blocks:
            shm.close()
            shm.unlink()
    bound = union(t[5] for t in tallies) if cpus else None
    return outcome(tallies, workers, cfg, measures, bound)


def early_error(results, peers, kind):
    """Before the start line: a peer that raised or died ends the cell."""
    try:
        tally = results.get_nowait()
    except queue.Empty:
        if why := dead(peers, kind):
            raise WorkerDied(why) from None
        return
    raise RuntimeError(tally[3] if tally[1] is None else f"peer {tally[0]} finished before the start line")


def collect(results, peers, kind):
    """The next tally; a peer that raised fails the cell, a peer process that died instead is a
    crash, not a hang."""
    while True:
        try:
            tally = results.get(timeout=0.2)
        except queue.Empty:
            if why := dead(peers, kind):
                raise WorkerDied(why) from None
            continue
        if tally[1] is None:
            raise RuntimeError(tally[3])
        return tally


def dead(peers, kind):
    for w in peers:
        if kind == "process" and w.exitcode is not None and w.exitcode != 0:
            return f"peer process {w.pid} ended with {w.exitcode} (negative: the signal)"
    return ""


def config(p):
    pingpong = p["mode"] == "pingpong"
    size = int(p["msg_size"])
    messages = int(p["round_trips"]) if pingpong else max(1, int(p["bytes"]) // size)
    return {"pingpong": pingpong, "msg_size": size, "messages": messages, "warmup": int(p["warmup"]),
            "fault": p.get("py_fault", "none")}


def outcome(tallies, workers, cfg, measures, bound=None):
    shares = [Share() for _ in range(workers)]
    latency = []
    for index, good, ops, wrong, lat, *_ in tallies:
        shares[index] = Share(good, ops, wrong)
        latency += lat
    pairs = workers // 2
    measures["bytes"] = pairs * cfg["messages"] * cfg["msg_size"] * (2 if cfg["pingpong"] else 1)
    measures["bytes_per_s"] = measures["bytes"] / measures["wall_s"] if measures["wall_s"] > 0 else 0.0
    if cfg["pingpong"]:
        measures.update(latency_measures(latency))
    return Outcome(shares, measures, bound)


class StreamEnd:
    def __init__(self, reader, writer, size):
        self.reader, self.writer, self.size = reader, writer, size

    async def send(self, b):
        self.writer.write(b)
        await self.writer.drain()

    async def recv(self):
        return await self.reader.readexactly(self.size)


class AsyncQueueEnd:
    def __init__(self, tx, rx):
        self.tx, self.rx = tx, rx

    async def send(self, b):
        await self.tx.put(b)

    async def recv(self):
        return await self.rx.get()


def run_asyncio(workers, p, settings):
    """Producer and consumer coroutines on one loop, over asyncio.Queue or a socketpair's streams."""
    if p["channel"] not in ASYNCIO_CHANNELS:
        raise ValueError(f"py-asyncio carries ipc over channel {' or '.join(ASYNCIO_CHANNELS)}, not {p['channel']}")
    cfg = config(p)
    pingpong, n, warmup, size = cfg["pingpong"], cfg["messages"], cfg["warmup"], cfg["msg_size"]
    patterns = _patterns(size)
    loop = asyncio.new_event_loop()
    sockets = []

    async def channel():
        if p["channel"] == "queue":
            ab, ba = asyncio.Queue(_SLOTS), asyncio.Queue(_SLOTS)
            return AsyncQueueEnd(ab, ba), AsyncQueueEnd(ba, ab)
        a, b = socket.socketpair()
        sockets.extend((a, b))
        ends = []
        for s in (a, b):
            reader, writer = await asyncio.open_connection(sock=s)
            ends.append(StreamEnd(reader, writer, size))
        return ends

    async def side(index, end, first, count, tally):
        producer = index % 2 == 0
        for seq in range(first, first + count):
            if producer:
                t0 = time.perf_counter_ns()
                await end.send(message(seq, patterns))
                if pingpong:
                    ok = intact(await end.recv(), seq, patterns)
                    tally[4].append(time.perf_counter_ns() - t0)
                    tally[1] += ok
                continue
            msg = await end.recv()
            if pingpong:
                await end.send(msg)
            tally[1] += intact(msg, seq, patterns)

    try:
        ends = [loop.run_until_complete(channel()) for _ in range(workers // 2)]
        tallies = [[i, 0, 0, "", []] for i in range(workers)]

        async def phase(first, count, into):
            await asyncio.gather(*(side(i, ends[i // 2][i % 2], first, count, into[i]) for i in range(workers)))
        loop.run_until_complete(phase(0, warmup, [[i, 0, 0, "", []] for i in range(workers)]))
        if cfg["fault"] != "none":
            injure(cfg["fault"])
        _, measures = measured([os.getpid()], lambda: loop.run_until_complete(phase(warmup, n, tallies)))
    finally:
        loop.close()
        for s in sockets:
            s.close()
    for t in tallies:
        producer = t[0] % 2 == 0
        t[2] = n if pingpong == producer else 0
        if producer and not pingpong:
            t[1] = n  # a stream's producer receives nothing to check
        if t[1] != n:
            t[3] = f"{n - t[1]} messages arrived damaged or out of order"
    return outcome([tuple(t) for t in tallies], workers, cfg, measures)
