"""Speed of `mlparity.boundaries.Binner` against the implementations it replaces, measured in the same run.

    python benchmarks/bench_boundaries.py           # full size: 1,000,000 values batch, 100,000 single requests
    python benchmarks/bench_boundaries.py --quick   # smoke run

Batch: `Binner.transform` against `pd.cut(..., labels=False)` (baseline). Per request: `Binner.transform_one` against
`bisect.bisect_right` (baseline, the legacy lookup) and against calling `pd.cut` on a one-row Series (the naive way
to reuse the offline code online). Ratios > 1 mean slower than the baseline.
"""
import argparse, bisect, time

import numpy as np
import pandas as pd

from mlparity.boundaries import Binner, boundary_values, check_binning
from _timing import best_of

EDGES = [0, 18, 35, 50, 100]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    a = ap.parse_args(argv)
    n_batch, n_single, repeat = (10_000, 2_000, 3) if a.quick else (1_000_000, 100_000, 5)
    rng = np.random.default_rng(0)
    ages = pd.Series(np.rint(14 + rng.gamma(3.0, 7.0, n_batch)))
    singles = ages.to_numpy()[:n_single].tolist()
    b = Binner(EDGES)
    assert (b.transform(ages).to_numpy() == pd.cut(ages, EDGES).cat.codes.to_numpy()).all()

    rows = []
    base = best_of(lambda: pd.cut(ages, EDGES, labels=False), repeat).wall
    rows.append(("batch", f"pd.cut, {n_batch:,} values (baseline)", base, base))
    rows.append(("batch", f"Binner.transform, {n_batch:,} values", best_of(lambda: b.transform(ages), repeat).wall, base))
    base1 = best_of(lambda: [bisect.bisect_right(EDGES[1:], x) for x in singles], repeat).wall / n_single
    rows.append(("per request", "bisect.bisect_right (baseline)", base1, base1))
    rows.append(("per request", "Binner.transform_one", best_of(lambda: [b.transform_one(x) for x in singles], repeat).wall / n_single, base1))
    few = singles[:200]
    rows.append(("per request", "pd.cut on a 1-row Series",
                 best_of(lambda: [pd.cut(pd.Series([x]), EDGES, labels=False) for x in few], 1).wall / len(few), base1))
    rows.append(("check", f"check_binning over {len(boundary_values(EDGES))} boundary values",
                 best_of(lambda: check_binning(b.transform, b.transform_one, EDGES), repeat).wall, float("nan")))

    df = pd.DataFrame(rows, columns=["path", "implementation", "seconds", "baseline"])
    df["per call (µs)"] = np.where(df["path"] == "per request", df["seconds"] * 1e6, np.nan)
    df["ratio to baseline"] = df["seconds"] / df["baseline"]
    with pd.option_context("display.width", 140, "display.float_format", "{:.4g}".format):
        print(df.drop(columns="baseline").to_string(index=False))


if __name__ == "__main__": main()
