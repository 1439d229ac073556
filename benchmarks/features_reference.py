"""Reference contenders for benchmarks/features.ts: pandas grouped rolling as an analyst writes it,
and numpy's vectorised cumulative-sum rolling mean. Reads the same raw float64 file; prints JSON."""
import json
import sys
import time

import numpy as np
import pandas as pd


def nan_to_none(v):
    v = float(v)
    return None if v != v else v


path, n_eq, n_pts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
windows = [int(w) for w in sys.argv[4].split(",")]
probe = [int(i) for i in sys.argv[5].split(",")]

values = np.fromfile(path, dtype=np.float64)
assert values.size == n_eq * n_pts
df = pd.DataFrame({"equipment": np.repeat(np.arange(n_eq), n_pts), "t": np.tile(np.arange(n_pts, dtype=np.float64), n_eq), "v": values})

out = {"pandas_version": pd.__version__, "numpy_version": np.__version__}
probes = {}
t0 = time.perf_counter()
for w in windows:
    g = df.groupby("equipment")["v"].rolling(w)
    for stat in ("mean", "std", "min", "max"):
        r = getattr(g, stat)()
        probes[f"{stat}_{w}"] = [nan_to_none(r.iloc[i]) for i in probe]
out["pandas_mmsm_s"] = time.perf_counter() - t0

# Slope as an analyst writes it: rolling cov(t, v) / rolling var(t), grouped.
t0 = time.perf_counter()
for w in windows:
    g = df.groupby("equipment")
    cov = g.apply(lambda d: d["t"].rolling(w).cov(d["v"]))
    var = df.groupby("equipment")["t"].rolling(w).var()
    slope = cov.to_numpy() / var.to_numpy()
    probes[f"slope_{w}"] = [nan_to_none(slope[i]) for i in probe]
out["pandas_slope_s"] = time.perf_counter() - t0

# numpy's vectorised limit for the rolling mean: cumulative sums, one pass per window.
m = values.reshape(n_eq, n_pts)
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    for w in windows:
        c = np.cumsum(m, axis=1)
        mean = np.empty_like(m)
        mean[:, : w - 1] = np.nan
        mean[:, w - 1] = c[:, w - 1] / w
        mean[:, w:] = (c[:, w:] - c[:, :-w]) / w
    best = min(best, time.perf_counter() - t0)
out["numpy_mean_s"] = best
out["probes"] = probes
print(json.dumps(out))
