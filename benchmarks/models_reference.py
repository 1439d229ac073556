"""scikit-learn's RandomForestClassifier on the data benchmarks/models.ts wrote, with matching
settings and n_jobs=2: once on the raw values (exact splits), once on the engine's 256 quantile bin
codes (like for like). Single-row latency with n_jobs=2 (as trained) and n_jobs=1. Prints JSON."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

path, n_train, n_test, p, trees, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
total = n_train + n_test
data = np.fromfile(path, dtype=np.float64)
x = np.ascontiguousarray(data[: total * p].reshape(p, total).T)  # the file is feature-major
y = data[total * p :]
xb = np.ascontiguousarray(np.fromfile(path + ".bins", dtype=np.float64).reshape(p, total).T)


def fit(inputs):
    clf = RandomForestClassifier(n_estimators=trees, max_features="sqrt", max_depth=depth, n_jobs=2, random_state=0)
    t0 = time.perf_counter()
    clf.fit(inputs[:n_train], y[:n_train])
    return clf, time.perf_counter() - t0


def latency_us(clf, rows=200):
    clf.predict_proba(x[n_train : n_train + 1])  # warm-up
    lat = []
    for i in range(rows):
        t = time.perf_counter()
        clf.predict_proba(x[n_train + i : n_train + i + 1])
        lat.append(time.perf_counter() - t)
    return float(np.median(lat)) * 1e6


clf, train_s = fit(x)
auc = roc_auc_score(y[n_train:], clf.predict_proba(x[n_train:])[:, 1])
p50 = latency_us(clf)
clf.set_params(n_jobs=1)
p50_1 = latency_us(clf, 2000)
clf_b, binned_train_s = fit(xb)
binned_auc = roc_auc_score(y[n_train:], clf_b.predict_proba(xb[n_train:])[:, 1])
print(json.dumps({
    "sklearn": sklearn.__version__,
    "train_s": train_s,
    "auc": auc,
    "predict_us_p50": p50,
    "predict_us_p50_n_jobs_1": p50_1,
    "binned_train_s": binned_train_s,
    "binned_auc": binned_auc,
}))
