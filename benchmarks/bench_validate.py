"""How fast is `Schema.validate`? Timings on NovaTech interactions, as ratios to the legacy validator in the same run.

    python benchmarks/bench_validate.py           # about 1M rows
    python benchmarks/bench_validate.py --quick   # about 100k rows, a smoke run
"""
import argparse, time

import numpy as np
import pandas as pd

from mlparity.datasets import make_novatech
from mlparity.validate import Schema
from _timing import best_of

KEY = ["user_id", "product_id", "purchase_date"]


def legacy_validate_interactions(df):
    "The weeks 5-6 validator (stops at the first failure; four checks), as the baseline."
    missing = {"user_id", "product_id", "purchase_date", "purchase_amount", "category", "session_duration", "page_views"} - set(df.columns)
    if missing: raise ValueError(missing)
    if df["user_id"].isnull().sum() > 0: raise ValueError("null user_id")
    if (df["purchase_amount"] < 0).sum() > 0: raise ValueError("negative")
    return len(df) - len(df.drop_duplicates(subset=KEY))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="about 100k rows instead of about 1M")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    n_users = 13_000 if a.quick else 130_000
    inter = make_novatech(n_users=n_users, n_products=5000, seed=0).interactions
    train, batch = inter[inter.purchase_date < "2024-10-01"], inter
    schema = Schema.infer(train, key=KEY, name="interactions")
    rng = np.random.default_rng(0)
    bad = batch.astype({"category": str})
    for col, val in [("purchase_amount", -1.0), ("category", "nope"), ("page_views", 10 ** 6)]:
        bad.loc[rng.choice(len(bad), 100, replace=False), col] = val
    text_dates = batch.assign(purchase_date=batch.purchase_date.dt.strftime("%Y-%m-%d %H:%M:%S"))
    cases = {
        "legacy validator (baseline)": lambda: legacy_validate_interactions(batch),
        "Schema.infer (training part)": lambda: Schema.infer(train, key=KEY),
        "validate, clean batch": lambda: schema.validate(batch),
        "validate, 300 planted failures": lambda: schema.validate(bad),
        "validate, dates as text": lambda: schema.validate(text_dates),
        "validate, lazy=False": lambda: schema.validate(bad, lazy=False),
    }
    base = best_of(cases["legacy validator (baseline)"], a.repeat).wall
    rows = []
    for name, f in cases.items():
        t = base if name.startswith("legacy") else best_of(f, a.repeat).wall
        n = len(train) if "infer" in name else len(batch)
        rows.append({"case": name, "rows": n, "seconds": round(t, 3), "x legacy": round(t / base, 1),
                     "M rows/s": round(n / t / 1e6, 2)})
    with pd.option_context("display.width", 120):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__": main()
