"""Python references for benchmarks/features.ts, on the same data it wrote (raw float64 values on a
1 s grid with NaN, and a keep mask: the rows outside outages). Every contender produces full-length
results, is run once untimed, then timed best of REPS, as the engine is. Prints one JSON line.

  A, count windows on the grid (NaN skipped, at least one valid value; std at least two):
    pandas grouped rolling, bottleneck move_*, numpy cumulative sums (mean and slope).
  B, time windows on the rows that exist (outages are missing rows): pandas grouped time rolling.
"""
import json
import sys
import time

import bottleneck as bn
import numpy as np
import pandas as pd

base, n_eq, n_pts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
windows = [int(w) for w in sys.argv[4].split(",")]
probe_a = [int(i) for i in sys.argv[5].split(",")]
probe_b = [int(i) for i in sys.argv[6].split(",")]
reps = int(sys.argv[7])
STATS = ("mean", "std", "min", "max")

values = np.fromfile(base + ".v", dtype=np.float64)
keep = np.fromfile(base + ".keep", dtype=np.uint8).astype(bool)
assert values.size == n_eq * n_pts and keep.size == values.size
eq = np.repeat(np.arange(n_eq), n_pts)
t = np.tile(np.arange(n_pts, dtype=np.float64), n_eq)
df_a = pd.DataFrame({"equipment": eq, "t": t, "v": values})
df_b = pd.DataFrame({"equipment": eq[keep], "ts": pd.to_datetime(t[keep], unit="s"), "v": values[keep]})
m = values.reshape(n_eq, n_pts)


def timed(fn):
    """One untimed warm-up, then the best of `reps`; returns (seconds, the last run's results)."""
    out = fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def pandas_mmsm():
    res = {}
    for w in windows:
        g = df_a.groupby("equipment")["v"].rolling(w, min_periods=1)
        for stat in STATS:
            res[f"{stat}_{w}"] = getattr(g, stat)().to_numpy()
    return res


def pandas_slope():
    # The vectorised formulation: grouped rolling sums of n, t, v, t*t, t*v over valid rows, then
    # slope = (n Stv - St Sv) / (n Stt - St^2); no per-group Python function.
    valid = df_a["v"].notna()
    tv = df_a["t"].where(valid)
    cols = pd.DataFrame(
        {
            "n": valid.astype(np.float64),
            "t": tv.fillna(0.0),
            "v": df_a["v"].fillna(0.0),
            "tt": (tv * tv).fillna(0.0),
            "tv": (tv * df_a["v"]).fillna(0.0),
        }
    )
    res = {}
    for w in windows:
        s = cols.groupby(df_a["equipment"]).rolling(w, min_periods=1).sum()
        n, st, sv, stt, stv = (s[c].to_numpy() for c in ("n", "t", "v", "tt", "tv"))
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (n * stv - st * sv) / (n * stt - st * st)
        slope[n < 2] = np.nan
        res[f"slope_{w}"] = slope
    return res


def windowed(c, w):
    """Sums over the last w columns from prefix sums c (n_eq x n_pts + 1, c[:, 0] = 0)."""
    s = np.empty((c.shape[0], c.shape[1] - 1), dtype=c.dtype)
    s[:, :w] = c[:, 1 : w + 1]
    s[:, w:] = c[:, w + 1 :] - c[:, 1:-w]
    return s


def prefix(a):
    c = np.zeros((a.shape[0], a.shape[1] + 1), dtype=np.float64)
    np.cumsum(a, axis=1, out=c[:, 1:])
    return c


def numpy_mean():
    valid = ~np.isnan(m)
    cz = prefix(np.where(valid, m, 0.0))
    ck = prefix(valid)
    res = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for w in windows:
            res[f"mean_{w}"] = (windowed(cz, w) / windowed(ck, w)).ravel()
    return res


def numpy_slope():
    valid = ~np.isnan(m)
    tg = np.broadcast_to(np.arange(n_pts, dtype=np.float64), m.shape)
    tz = np.where(valid, tg, 0.0)
    vz = np.where(valid, m, 0.0)
    cn, ct, cv, ctt, ctv = prefix(valid), prefix(tz), prefix(vz), prefix(tz * tz), prefix(tz * vz)
    res = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for w in windows:
            n, st, sv, stt, stv = (windowed(c, w) for c in (cn, ct, cv, ctt, ctv))
            slope = (n * stv - st * sv) / (n * stt - st * st)
            slope[n < 2] = np.nan
            res[f"slope_{w}"] = slope.ravel()
    return res


def bottleneck_mmsm():
    res = {}
    for w in windows:
        res[f"mean_{w}"] = bn.move_mean(m, w, min_count=1, axis=1).ravel()
        res[f"std_{w}"] = bn.move_std(m, w, min_count=2, axis=1, ddof=1).ravel()
        res[f"min_{w}"] = bn.move_min(m, w, min_count=1, axis=1).ravel()
        res[f"max_{w}"] = bn.move_max(m, w, min_count=1, axis=1).ravel()
    return res


def bottleneck_mean():
    return {f"mean_{w}": bn.move_mean(m, w, min_count=1, axis=1).ravel() for w in windows}


def pandas_time():
    res = {}
    for w in windows:
        g = df_b.groupby("equipment").rolling(f"{w}s", on="ts", min_periods=1)["v"]
        for stat in STATS:
            res[f"{stat}_{w}"] = getattr(g, stat)().to_numpy()
    return res


def probes(res, idx):
    return {k: [None if v != v else float(v) for v in (arr[i] for i in idx)] for k, arr in res.items()}


out = {"pandas": pd.__version__, "numpy": np.__version__, "bottleneck": bn.__version__}
for name, fn, idx in (
    ("pandas_mmsm", pandas_mmsm, probe_a),
    ("pandas_slope", pandas_slope, probe_a),
    ("numpy_mean", numpy_mean, probe_a),
    ("numpy_slope", numpy_slope, probe_a),
    ("bottleneck_mmsm", bottleneck_mmsm, probe_a),
    ("bottleneck_mean", bottleneck_mean, probe_a),
    ("pandas_time", pandas_time, probe_b),
):
    s, res = timed(fn)
    out[name] = {"s": s, "probes": probes(res, idx)}
    print(f"  {name}: {s:.3f} s", file=sys.stderr, flush=True)
print(json.dumps(out))
