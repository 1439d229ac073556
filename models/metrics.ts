/** Metrics for forecasts: RUL errors (RMSE, MAE, PHM08 score) and classifier ranking (ROC-AUC). */

export function rmse(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += ((pred[i] as number) - (truth[i] as number)) ** 2;
  return Math.sqrt(s / pred.length);
}

export function mae(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs((pred[i] as number) - (truth[i] as number));
  return s / pred.length;
}

/** PHM08 score: late predictions (d = pred - true > 0) cost exp(d/10) - 1, early exp(-d/13) - 1. */
export function phm08(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = (pred[i] as number) - (truth[i] as number);
    s += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
  }
  return s;
}

/** ROC-AUC by the rank statistic (ties get half credit); NaN without both classes. */
export function rocAuc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  // Compared, not subtracted: -Infinity (a missing value ranked lowest) minus itself is NaN.
  const idx = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => {
    const x = score[a] as number;
    const y = score[b] as number;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  let pos = 0;
  let neg = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && score[idx[j + 1] as number] === score[idx[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (label[idx[k] as number] === 1) {
        pos++;
        rankSum += avgRank;
      } else neg++;
    }
    i = j + 1;
  }
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
