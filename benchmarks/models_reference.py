"""scikit-learn's RandomForestClassifier on the data benchmarks/models.ts wrote: matching settings,
n_jobs=2. Prints one JSON line."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

path, n_train, n_test, p, trees, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
data = np.fromfile(path, dtype=np.float64)
x = data[: (n_train + n_test) * p].reshape(p, n_train + n_test).T  # the file is feature-major
y = data[(n_train + n_test) * p :]
clf = RandomForestClassifier(n_estimators=trees, max_features="sqrt", max_depth=depth, n_jobs=2, random_state=0)
t0 = time.perf_counter()
clf.fit(x[:n_train], y[:n_train])
train_s = time.perf_counter() - t0
proba = clf.predict_proba(x[n_train:])[:, 1]
row = x[n_train : n_train + 1]
lat = []
for i in range(200):
    t = time.perf_counter()
    clf.predict_proba(x[n_train + i : n_train + i + 1])
    lat.append(time.perf_counter() - t)
print(json.dumps({"sklearn": sklearn.__version__, "train_s": train_s, "auc": roc_auc_score(y[n_train:], proba), "predict_us_p50": float(np.median(lat)) * 1e6}))
