"""Benchmark `mlparity.drift.drift_report` against `scipy.stats.ks_2samp` alone, in one run, at several sizes.

    python benchmarks/bench_drift.py                    # 10 numeric columns x 1e5, 1e6 and 1e7 rows per side (long)
    python benchmarks/bench_drift.py --quick            # 10 columns x 1e5 and 1e6 rows, one repeat
    python benchmarks/bench_drift.py --sizes 100000 --cols 4

Baseline: `scipy.stats.ks_2samp` on every column (KS only). Candidate: `drift_report(..., method=[ks, wasserstein,
psi, js])`, all four statistics for every column (one sort per column, shared). Both are timed from the same pandas
frames (scipy imported and warmed up before timing). Memory: peak traced allocation (tracemalloc, which numpy
reports to) of each, beyond the inputs. Agreement: the KS statistic must equal scipy's, and each p-value be within
1e-3 relative or 1e-6 absolute of scipy's. Goal (issue 15): wall time ratio <= 0.3 and memory ratio <= 1 at every size.
Evidently is not compared here: see bench_drift_evidently.py.
"""
import argparse, time, tracemalloc
import numpy as np, pandas as pd
from scipy import stats
from mlparity.drift import drift_report
from _timing import best_of

METHODS = ["ks", "wasserstein", "psi", "js"]


def frames(n, cols, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({f"x{i}": rng.normal(35, 10, n) for i in range(cols)})
    cur = pd.DataFrame({f"x{i}": rng.normal(35 + 0.3 * i, 10, n) for i in range(cols)})
    return ref, cur


def scipy_ks(ref, cur): return [stats.ks_2samp(ref[c].to_numpy(), cur[c].to_numpy()) for c in ref]


def peak(f):
    tracemalloc.start(); f(); _, p = tracemalloc.get_traced_memory(); tracemalloc.stop()
    return p


def run(n, cols, repeat):
    ref, cur = frames(n, cols)
    t_scipy, c_scipy, ks = best_of(lambda: scipy_ks(ref, cur), repeat)
    t_ours, c_ours, rep = best_of(lambda: drift_report(ref, cur, method=METHODS), repeat)
    ours = rep.table[rep.table.method == "ks"]
    d_err = max(abs(s - k.statistic) for s, k in zip(ours.statistic, ks))
    p_ok = all(abs(p - k.pvalue) <= max(1e-6, 1e-3 * k.pvalue) for p, k in zip(ours.p_value, ks))
    p_err = max(abs(p - k.pvalue) / max(1e-6, 1e-3 * k.pvalue) for p, k in zip(ours.p_value, ks))
    m_scipy, m_ours = peak(lambda: scipy_ks(ref, cur)), peak(lambda: drift_report(ref, cur, method=METHODS))
    return dict(rows=n, scipy_s=t_scipy, ours_s=t_ours, wall_ratio=t_ours / t_scipy, cpu_ratio=c_ours / c_scipy,
                scipy_MB=m_scipy / 1e6, ours_MB=m_ours / 1e6, mem_ratio=m_ours / m_scipy,
                ks_stat_diff=d_err, p_err_over_allowed=p_err, p_ok=p_ok)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sizes 1e5 and 1e6, one repeat")
    ap.add_argument("--sizes", type=int, nargs="*", default=None); ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=None)
    a = ap.parse_args(argv)
    sizes = a.sizes or ([100_000, 1_000_000] if a.quick else [100_000, 1_000_000, 10_000_000])
    repeat = a.repeat or (1 if a.quick else 2)
    stats.ks_2samp(np.arange(20_000.0), np.arange(20_000.0) + 0.5); drift_report(*frames(100, 1))   # imports, warm-up
    rows = []
    for n in sizes:
        rows.append(run(n, a.cols, repeat))
        print(f"  {n:,} rows x {a.cols} columns done", flush=True)
    t = pd.DataFrame(rows)
    print(f"drift_report ({'+'.join(METHODS)}) vs scipy.stats.ks_2samp alone, {a.cols} columns, rows per side:")
    print(t.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    ok = (t.wall_ratio <= 0.3).all() and (t.mem_ratio <= 1).all() and (t.ks_stat_diff == 0).all() and t.p_ok.all()
    print("goal (wall ratio <= 0.3, memory ratio <= 1, KS statistic equal, p-values within 1e-3 rel or 1e-6 abs):",
          "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__": raise SystemExit(main())
