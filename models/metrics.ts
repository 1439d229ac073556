/** Metrics for forecasts: RUL errors (RMSE, MAE, PHM08 score) and classifier ranking (ROC-AUC). */
import { sortDoubles } from './sort.ts';

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
  // Positives and negatives sorted apart (a radix sort of the doubles, models/sort.ts), then merged
  // tie group by tie group: the same average ranks as one sort of all rows, in a fraction of the
  // time (the training side ranks every feature). NaN has no rank: the comparator path below.
  let nPos = 0;
  for (let i = 0; i < score.length; i++) {
    if (score[i] !== score[i]) return rocAucCompared(score, label);
    if (label[i] === 1) nPos++;
  }
  const ps = new Float64Array(nPos);
  const ns = new Float64Array(score.length - nPos);
  for (let i = 0, a = 0, b = 0; i < score.length; i++)
    if (label[i] === 1) ps[a++] = score[i] as number;
    else ns[b++] = score[i] as number;
  sortDoubles(ps);
  sortDoubles(ns);
  let rankSum = 0;
  let a = 0;
  let b = 0;
  let i = 0; // rows ranked so far
  while (a < ps.length || b < ns.length) {
    // The smaller of the two next scores: the next tie group.
    const v =
      b >= ns.length || (a < ps.length && (ps[a] as number) <= (ns[b] as number))
        ? (ps[a] as number)
        : (ns[b] as number);
    const a0 = a;
    const b0 = b;
    while (a < ps.length && ps[a] === v) a++;
    while (b < ns.length && ns[b] === v) b++;
    const cp = a - a0;
    const cn = b - b0;
    const j = i + cp + cn - 1;
    rankSum += cp * ((i + j) / 2 + 1);
    i = j + 1;
  }
  const pos = ps.length;
  const neg = ns.length;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** ROC-AUC by one comparator sort of every row (scores with NaN, which compare equal to all). */
function rocAucCompared(score: ArrayLike<number>, label: ArrayLike<number>): number {
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
