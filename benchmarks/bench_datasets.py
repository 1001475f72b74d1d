"""Benchmark `make_novatech` and `user_features` at about a million interactions.

    python benchmarks/bench_datasets.py           # ~1M interactions (131,000 users, 5,000 products)
    python benchmarks/bench_datasets.py --quick   # ~100k interactions, a smoke run

Ratios are against a baseline measured in the same run: drawing seven uniform random columns of the same length
with numpy and wrapping them in a DataFrame (the floor of any generator of that many rows).
Each timing is the best of `--repeat` runs.

Measured on the project machine (2 cores shared with other jobs, load average about 8), full size, best of 2:
1,002,893 interactions; make_novatech 2.08 s (482k rows/s, 18x the baseline's 0.12 s);
user_features 0.48 s (2.1M rows/s); peak RSS 334 MB. Target: well under 5 s for 1M interactions.
On a quiet machine make_novatech took 1.3 s in an earlier measurement.
"""
from __future__ import annotations
import argparse, time

import numpy as np
import pandas as pd

from mlparity.datasets import make_novatech, user_features
from _timing import best_of


def baseline_frame(n, seed=0):
    "Seven uniform random columns of `n` rows, drawn with numpy, as a DataFrame."
    def draw():
        rng = np.random.default_rng(seed)
        return pd.DataFrame({f"c{j}": rng.random(n) for j in range(7)})
    return draw


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about 100k interactions instead of 1M")
    ap.add_argument("--repeat", type=int, default=2, help="runs per timing (best is kept)")
    a = ap.parse_args(argv)
    n_users, n_products = (13_100, 1_000) if a.quick else (131_000, 5_000)
    t_gen, _, nt = best_of(lambda: make_novatech(n_users=n_users, n_products=n_products, seed=0), a.repeat)
    n = len(nt.interactions)
    t_base, _, _ = best_of(baseline_frame(n), a.repeat)
    t_feat, _, X = best_of(lambda: user_features(nt.interactions, "2024-11-01"), a.repeat)
    rows = [("7 uniform columns (baseline)", t_base, n),
            ("make_novatech", t_gen, n),
            ("user_features (90-day window)", t_feat, n)]
    table = pd.DataFrame([{"step": s, "rows": r, "seconds": round(t, 3), "rows/s": f"{r / t:,.0f}",
                           "x baseline": round(t / t_base, 1)} for s, t, r in rows])
    print(f"{n_users:,} users, {n_products:,} products -> {n:,} interactions; features for {len(X):,} users")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__": raise SystemExit(main())
