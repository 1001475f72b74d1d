"""Benchmark writing a report as HTML against running its check, in the same run: parity and drift.

    python benchmarks/bench_html.py           # 1,000,000 rows x 10 features, every feature failing
    python benchmarks/bench_html.py --quick   # 100,000 rows (a smoke run)

Target: `report.to_html()` (every picture drawn and encoded) takes at most 2x the time of the check that made the
report (`compare_frames`, `drift_report`). The worst case is drawn: every feature fails, so every one gets a picture.
Exit status 1 when a ratio misses the target.
"""
from __future__ import annotations
import argparse, gc, sys
import numpy as np
import pandas as pd
from mlparity.parity import compare_frames
from mlparity.drift import drift_report
from _timing import best_of

TARGET = 2.0


def parity_data(n:int, k:int=10, seed:int=0)->tuple[pd.DataFrame, pd.DataFrame]:
    "Two feature tables on `n` keys, the second shuffled; feature i differs on (i + 1) % of the rows (x 1.5 + noise)."
    rng = np.random.default_rng(seed)
    offline = pd.DataFrame({"user_id": np.arange(n, dtype=np.int64)} | {f"f{i}": rng.normal(10, 3, n) for i in range(k)})
    online = offline.copy()
    for i in range(k):
        bad = rng.random(n) < (i + 1) / 100
        online.loc[bad, f"f{i}"] = online.loc[bad, f"f{i}"] * 1.5 + rng.normal(0, 0.1, int(bad.sum()))
    return offline, online.iloc[rng.permutation(n)].reset_index(drop=True)


def drift_data(n:int, k:int=10, seed:int=0)->tuple[pd.DataFrame, pd.DataFrame]:
    "A reference and a current sample of `n` rows: `k - 2` numeric columns, each shifted, and 2 categorical ones, reweighted."
    rng = np.random.default_rng(seed)
    cats = np.array(["a", "b", "c", "d", "e"])
    ref = pd.DataFrame({f"x{i}": rng.normal(0, 1, n) for i in range(k - 2)} | {f"c{i}": rng.choice(cats, n) for i in range(2)})
    cur = pd.DataFrame({f"x{i}": rng.normal(0.05 * (i + 1), 1, n) for i in range(k - 2)}
                       | {f"c{i}": rng.choice(cats, n, p=[0.3, 0.25, 0.2, 0.15, 0.1]) for i in range(2)})
    return ref, cur


def ratio(name:str, check, repeat:int)->float:
    "Time `check()` and the HTML of its report (best of `repeat`, each after a garbage collection); print and return the ratio."
    c = best_of(check, repeat, before=gc.collect)
    rep = c.value
    h = best_of(rep.to_html, repeat, before=gc.collect)
    r = h.wall / c.wall
    print(f"{name:<7} failing {len(rep.failing):>2}  check {c.wall:7.2f} s   to_html {h.wall:7.2f} s   "
          f"ratio {r:5.2f} (target <= {TARGET})   page {len(h.value) / 1e6:.2f} MB, {h.value.count('<img')} pictures")
    return r


def main(argv=None)->int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args(argv)
    n = 100_000 if a.quick else 1_000_000
    print(f"{n:,} rows x 10 features")
    off, on = parity_data(n)
    ratios = {"parity": ratio("parity", lambda: compare_frames(off, on, "user_id"), a.repeat)}
    del off, on
    ref, cur = drift_data(n)
    ratios["drift"] = ratio("drift", lambda: drift_report(ref, cur), a.repeat)
    missed = [k for k, r in ratios.items() if r > TARGET]
    print("target met" if not missed else f"target missed by: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
