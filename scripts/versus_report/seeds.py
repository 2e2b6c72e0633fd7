"""The seed notes' own numbers, where a claim quotes a table, and this run's numbers in the same shape."""

import numpy as np

# Seed 004: a Redis TTL scan of 235,073 keys by threads and by processes (Python).
SEED_004 = {
    "workers": (8, 16, 64, 128),
    "threads_s": {8: 855, 16: 537, 64: 199, 128: 161},
    "processes_s": {8: 800, 16: 409, 64: 133},
    "threads_mb_in_all": (30, 50),
    "process_mb_each": 25,
    # The memory column of the seed's table, per worker count (resident memory, as top shows it).
    "threads_mb": {8: 30, 16: 33, 64: 40, 128: 50},
    "processes_mb": {8: 230, 16: 430, 64: 1630},
}


def ttl_scan_cells(cells):
    """The ok redis ttl_scan cells, with the settings that split them into separate tables."""
    rd = cells[(cells["scenario"] == "redis") & (cells["n_ok"] > 0)]
    if rd.empty or "p_op" not in rd:
        return rd.iloc[0:0], []
    rd = rd[rd["p_op"] == "ttl_scan"]
    # Where the workers ran splits the tables too: a table never sets two placements side by side.
    split = [c for c in ("p_delay_us", "p_keys", "p_scan_count", "p_server", "p_value_size", "p_placement")
             if c in rd and rd[c].nunique(dropna=True) > 1]
    return rd, split


# The columns of seed 004's table measured here: (variant, key prefix). C++ threads and processes,
# and the seed's own kind, Python's, where the Python runners ran.
SEED_004_VARIANTS = (("pthread", "threads"), ("fork", "processes"),
                     ("py-thread", "py_threads"), ("py-process", "py_processes"))


def seed004_tables(cells):
    """[(label, rows)]: per ttl_scan setting, one row per worker count measured or in the seed's table,
    with the median time, PSS and peak RSS in all of pthread, fork, py-thread and py-process (NaN
    where not run) beside the seed's time and memory."""
    rd, split = ttl_scan_cells(cells)
    rd = rd[rd["variant"].isin([v for v, _ in SEED_004_VARIANTS])]
    if rd.empty:
        return []
    groups = rd.groupby(split if len(split) > 1 else split[0], dropna=False) if split else [((), rd)]
    tables = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{c[2:]}={v}" for c, v in zip(split, key)) or _defaults_label(g)
        rows = []
        for w in sorted(set(g["workers"]) | set(SEED_004["workers"])):
            row = {"workers": int(w)}
            for variant, name in SEED_004_VARIANTS:
                m = g[(g["variant"] == variant) & (g["workers"] == w)]
                row[f"{name}_s"] = float(m["wall_s"].iloc[0]) if len(m) else np.nan
                row[f"{name}_mib"] = float(m["pss_bytes"].iloc[0]) / 2**20 if len(m) else np.nan
                # Resident memory summed over the processes, the measure the seed's figures are in.
                row[f"{name}_rss_mib"] = float(m["rss_peak_bytes"].iloc[0]) / 2**20 if len(m) else np.nan
            for name in ("threads", "processes"):
                row[f"seed_{name}_s"] = SEED_004[f"{name}_s"].get(int(w), np.nan)
                row[f"seed_{name}_mb"] = SEED_004[f"{name}_mb"].get(int(w), np.nan)
            rows.append(row)
        tables.append((label, rows))
    return tables


def has_python(rows):
    """Whether a seed 004 table holds any Python runner's number (its columns are shown only then)."""
    return any(r[f"{name}_s"] == r[f"{name}_s"] for r in rows for name in ("py_threads", "py_processes"))


def _defaults_label(g):
    first = g.iloc[0]
    # delay_us is the embedded server's; against another server its delay is that server's own.
    external = "p_server" in g and isinstance(first["p_server"], str) and first["p_server"] != "embedded"
    names = ("p_server", "p_keys") if external else ("p_delay_us", "p_keys")
    parts = [f"{c[2:]}={first[c]}" for c in names if c in g and isinstance(first[c], str)]
    return ", ".join(parts)
