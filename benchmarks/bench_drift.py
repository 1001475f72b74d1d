"""Benchmark `mlparity.drift.drift_report` against `scipy.stats.ks_2samp` alone, in one run.

    python benchmarks/bench_drift.py            # 10 numeric columns x 1M rows per side (about 10 s, ~0.5 GB)
    python benchmarks/bench_drift.py --quick    # 10 columns x 100k rows, a smoke run

Baseline: `scipy.stats.ks_2samp` on every column (KS only). Candidate: `drift_report(..., method=[ks, wasserstein,
psi, js])`, all four statistics for every column (one sort per column, shared). Memory: peak traced allocation
(tracemalloc, which numpy reports to) during `drift_report`, as a multiple of the two input frames' size.
Evidently is not compared: it needs pandas<3, so a separate environment.
"""
import argparse, time, tracemalloc
import numpy as np, pandas as pd
from scipy import stats
from mlparity.drift import drift_report
from _timing import best_of


def frames(n, cols, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({f"x{i}": rng.normal(35, 10, n) for i in range(cols)})
    cur = pd.DataFrame({f"x{i}": rng.normal(35 + 0.3 * i, 10, n) for i in range(cols)})
    return ref, cur


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100k rows per side instead of 1M")
    ap.add_argument("--rows", type=int, default=None); ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    n = a.rows or (100_000 if a.quick else 1_000_000)
    ref, cur = frames(n, a.cols)
    methods = ["ks", "wasserstein", "psi", "js"]
    t_scipy, c_scipy, ks = best_of(lambda: [stats.ks_2samp(ref[c].to_numpy(), cur[c].to_numpy()) for c in ref], a.repeat)
    t_ours, c_ours, rep = best_of(lambda: drift_report(ref, cur, method=methods), a.repeat)
    # same numbers as scipy
    ours = rep.table[rep.table.method == "ks"]
    err = max(max(abs(s - k.statistic), abs(p - k.pvalue)) for s, p, k in zip(ours.statistic, ours.p_value, ks))
    inputs = ref.memory_usage(index=False).sum() + cur.memory_usage(index=False).sum()
    tracemalloc.start(); drift_report(ref, cur, method=methods); _, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()
    table = pd.DataFrame([
        {"what": f"scipy.stats.ks_2samp, {a.cols} cols x {n:,} rows/side", "wall s": t_scipy, "cpu s": c_scipy,
         "wall ratio": 1.0, "cpu ratio": 1.0},
        {"what": f"drift_report {'+'.join(methods)}", "wall s": t_ours, "cpu s": c_ours,
         "wall ratio": t_ours / t_scipy, "cpu ratio": c_ours / c_scipy},
    ])
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"max |KS statistic or p-value - scipy| = {err:.1e}")
    print(f"peak traced memory in drift_report: {peak/1e6:.0f} MB = {peak/inputs:.2f} x inputs ({inputs/1e6:.0f} MB)")
    return 0 if (c_ours <= c_scipy and peak <= 3 * inputs and err <= 1e-12) else 1


if __name__ == "__main__": raise SystemExit(main())
