"""Claim rules over the ipc scenario: what talking between processes, threads and fibers costs
(C6, C7, C8), and whether where the two ends run matters more than what they are (C18). Same
contract as claims.py: each rule takes the cell summary and the environment and returns a
ClaimVerdict quoting the numbers."""

import numpy as np

from .claims_base import APART, ClaimVerdict, _at_one_placement, _groups, _no_data, _ok, _placed
from .thresholds import BATCHING_GAIN, SAME_SPEED, SLOWER

# C18 sets processes against threads, and one CPU against two cores.
PEERS = ("fork", "pthread")
ENDS = ("same", "spread")


def _ipc(cells, mode):
    ipc = _ok(cells, "ipc")
    return ipc[ipc["p_mode"] == mode] if "p_mode" in ipc else ipc.iloc[0:0]


def _fork_over_pthread(ipc):
    """[(channel, size, processes' bytes/s over threads')] at the same channel, size and workers."""
    pairs = []
    for (channel, size, workers), g in ipc.groupby(["p_channel", "p_msg_size", "workers"]):
        byr = {r.runner: r.bytes_per_s for r in g.itertuples()}
        if "fork" in byr and "pthread" in byr:
            pairs.append((channel, size, byr["fork"] / byr["pthread"]))
    return pairs


def c6_processes_pay_more(cells, env):
    ipc = _ipc(cells, "throughput")
    placement, pairs = _at_one_placement(ipc, APART, _fork_over_pthread)
    if not pairs:
        return _no_data("ipc throughput with the same channel under fork and pthread")
    ratios = np.array([p[2] for p in pairs])
    slower = int((ratios < SLOWER).sum())
    same = int(((ratios >= SLOWER) & (ratios <= SAME_SPEED)).sum())
    detail = ", ".join(f"{c} {s} B: {r:.2f}" for c, s, r in pairs[:8])
    text = (f"ipc throughput of processes / threads over the same channel at {_placed(placement, ipc, APART)} "
            f"(1.00 = equal): {detail}; median {np.median(ratios):.2f} over {len(pairs)} cells")
    if slower > len(pairs) / 2:
        return ClaimVerdict("holds", text + ".")
    if same + int((ratios > SAME_SPEED).sum()) == len(pairs):
        return ClaimVerdict("does not hold", text + ": the kernel copies the same bytes for processes and threads; the "
                                               "cost is the channel, not the kind of peer.")
    return ClaimVerdict("depends", text + ": it depends on the channel and message size.")


def _channels_side_by_side(ipc):
    """[((runner, size, workers), cells)] where more than one channel was measured."""
    if "shm" not in set(ipc["p_channel"]):
        return []
    return [(k, g) for k, g in ipc.groupby(["runner", "p_msg_size", "workers"]) if g["p_channel"].nunique() > 1]


def c7_shm_fastest(cells, env):
    ipc = _ipc(cells, "throughput")
    placement, groups = _at_one_placement(ipc, APART, _channels_side_by_side)
    if not groups:
        return _no_data("ipc throughput with shm and other channels at the same message size")
    shm_wins, pipe_beats_queue, compared, lines = 0, 0, 0, []
    for (runner, size, _), g in groups:
        rate = dict(zip(g["p_channel"], g["bytes_per_s"]))
        best = max(rate, key=rate.get)
        shm_wins += best == "shm"
        if "pipe" in rate and "queue" in rate:
            compared += 1
            pipe_beats_queue += rate["pipe"] > rate["queue"]
        lines.append(f"{runner} {size} B: best {best} {rate[best] / 1e9:.2f} GB/s"
                     + (f", shm {rate['shm'] / 1e9:.2f}" if "shm" in rate and best != "shm" else "")
                     + (f", pipe {rate['pipe'] / 1e9:.2f} vs queue {rate['queue'] / 1e9:.2f}"
                        if "pipe" in rate and "queue" in rate else ""))
    text = (f"ipc throughput at {_placed(placement, ipc, APART)}: " + "; ".join(lines[:8])
            + f". shm fastest in {shm_wins} of {len(groups)}")
    if compared:
        text += f"; pipe faster than the locked queue in {pipe_beats_queue} of {compared}"
    text += " (the file system is not measured)"
    all_shm = shm_wins == len(groups)
    pipe_ok = compared == 0 or pipe_beats_queue == compared
    if all_shm and pipe_ok:
        return ClaimVerdict("holds", text + ".")
    if shm_wins == 0 and compared and pipe_beats_queue == 0:
        return ClaimVerdict("does not hold", text + ".")
    return ClaimVerdict("depends", text + ": it depends on the runner and message size.")


def _size_gains(ipc):
    """[(channel, variant, smallest size, largest, bytes/s of the largest over the smallest's)]."""
    rows = []
    for (channel, variant, workers), g in ipc.groupby(["p_channel", "variant", "workers"]):
        if g["p_msg_size"].nunique() < 2:
            continue
        g = g.assign(size=g["p_msg_size"].astype(int)).sort_values("size")
        small, large = g.iloc[0], g.iloc[-1]
        rows.append((channel, variant, small["size"], large["size"], large["bytes_per_s"] / small["bytes_per_s"]))
    return rows


def c8_batching(cells, env):
    ipc = _ipc(cells, "throughput")
    placement, rows = _at_one_placement(ipc, APART, _size_gains)
    if not rows:
        return _no_data("ipc throughput at two or more message sizes")
    gains = np.array([r[4] for r in rows])
    text = f"ipc throughput at {_placed(placement, ipc, APART)}: " + "; ".join(
        f"{c} {v}: {a} B -> {b} B moves {g:.1f}x the bytes per second" for c, v, a, b, g in rows[:8])
    if (gains > BATCHING_GAIN).all():
        return ClaimVerdict("holds", text + ".")
    if (gains > BATCHING_GAIN).any():
        return ClaimVerdict("depends", text + ": larger messages help some channels and not others.")
    return ClaimVerdict("does not hold", text + ".")


def _factor(ratio):
    """How far a ratio is from equal, whichever side is dearer: 0.5 and 2 are both a factor of 2."""
    return max(ratio, 1 / ratio)


def _p50_by_peer_and_ends(ping):
    """[(setting, workers, {(variant, placement): p50 µs})] where fork and pthread were both measured
    at placement same and spread, at the same channel, message size and workers."""
    out = []
    for label, g in _groups(ping, ("p_placement",)):
        # Named by channel and size always, and by any other setting that varies.
        others = [part for part in label.split(", ")
                  if part.partition("=")[0] not in ("channel", "msg_size", "defaults")]
        name = f"{g['p_channel'].iloc[0]} {g['p_msg_size'].iloc[0]} B" + (f" ({', '.join(others)})" if others else "")
        for workers, w in g.groupby("workers"):
            p50 = {(r.variant, r.p_placement): r.lat_p50_us for r in w.itertuples()}
            if all((peer, ends) in p50 for peer in PEERS for ends in ENDS):
                out.append((name, int(workers), p50))
    return out


def c18_placement_over_peers(cells, env):
    ping = _ipc(cells, "pingpong")
    if "p_placement" in ping:
        ping = ping[ping["variant"].isin(PEERS) & ping["p_placement"].isin(ENDS)]
    rows = _p50_by_peer_and_ends(ping) if len(ping) else []
    if not rows:
        return _no_data("ipc mode=pingpong with fork and pthread, each at placement=same and placement=spread")
    lines, margins = [], []
    several = len({w for _, w, _ in rows}) > 1
    for label, workers, p50 in rows:
        ends = {peer: p50[(peer, "spread")] / p50[(peer, "same")] for peer in PEERS}
        peers = {e: p50[("fork", e)] / p50[("pthread", e)] for e in ENDS}
        # How much more the placement weighs: the smaller of its two factors (one per peer kind) over
        # the larger of the peer kinds' (one per placement).
        margin = min(map(_factor, ends.values())) / max(map(_factor, peers.values()))
        margins.append(margin)
        lines.append(f"{label}{f' x{workers}' if several else ''}: p50 same / spread fork "
                     f"{p50[('fork', 'same')]:.1f} / {p50[('fork', 'spread')]:.1f} µs, pthread "
                     f"{p50[('pthread', 'same')]:.1f} / {p50[('pthread', 'spread')]:.1f} µs; spread/same fork "
                     f"{ends['fork']:.2f}x, pthread {ends['pthread']:.2f}x; fork/pthread at same "
                     f"{peers['same']:.2f}x, at spread {peers['spread']:.2f}x; the placement weighs {margin:.2f}x "
                     "the peer kind")
    text = ("ipc round trips at placement=same (both ends on one CPU) and placement=spread (on two cores): "
            + "; ".join(lines[:8]))
    decides = [m > SAME_SPEED for m in margins]
    if all(decides):
        return ClaimVerdict("holds", text + ": where the two ends run moves the latency more than whether they are "
                                       "processes or threads.")
    if not any(decides):
        return ClaimVerdict("does not hold", text + f": the placement does not weigh more than {SAME_SPEED:g}x the "
                                               "peer kind anywhere.")
    return ClaimVerdict("depends", text + f": the placement weighs more in {sum(decides)} of {len(margins)} settings.")
