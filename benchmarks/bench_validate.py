"""How fast is `mlparity.validate`? Two parts, each printing ratios measured in the same run.

    python benchmarks/bench_validate.py --setup-pandera          # one-off: pandera into a cache folder (~30 s)
    python benchmarks/bench_validate.py                          # vs pandera at 1e5, 1e6 rows x 10 columns, then NovaTech
    python benchmarks/bench_validate.py --sizes 1e5 1e6 1e7      # issue 15's three sizes (1e7 takes minutes and ~6 GB)
    python benchmarks/bench_validate.py --quick                  # 1e5 only, a smoke run

Part 1, against pandera (issue 15, item 4): a frame of N rows x 10 columns (four floats, three integers, two text
columns with 8 and 40 categories in pandas' `str` dtype, one datetime). `Schema.infer` on a training frame is timed
against pandera's `infer_schema` on the same frame; lazy validation of a second frame with 0.1 % bad values (amounts
below zero, counts above anything seen, unseen categories, nulls, dates before training) against pandera's
`schema.validate(df, lazy=True)` with its own inferred schema. pandera is not a dependency of mlparity (not even a
dev one): `--setup-pandera` installs it into `~/.cache/mlparity-bench/pandera` (or `--pandera-path`), which this
script puts on `sys.path`; without it, part 1 prints mlparity's timings alone. The check that every planted failure
is found and counted once runs on every size: each bad row appears in exactly one error finding.

pandera's `infer_schema` infers dtypes, nullability and numeric/datetime ranges, and allowed values only for
categorical dtypes; `Schema.infer` also collects the categories of text columns with at most 50 distinct values,
which costs one hash pass per text column. Both are printed: "infer" (everything) and "infer, no categories"
(`max_categories=0`, the like-for-like work). From 2**17 rows mlparity reads a frame's columns on one thread per core;
pandera reads them on one thread, so the ratios of mlparity on one thread are printed too ("one thread").

Part 2, NovaTech interactions at about 1M rows (100k with `--quick`), as ratios to the legacy validator.
Timings are the best of `--repeat` runs (wall seconds); the machine is shared, so compare ratios, not seconds. In
part 1 the calls take turns, one of each per round (mlparity's and pandera's alike), for at least `--repeat` rounds
and until the rounds add up to `--seconds` (default 15, 0.5 with `--quick`; at most 200 rounds): at 1e5 rows a call takes a few
milliseconds, and the best of three such calls moved the ratio between 0.55 and 1.12 from run to run; the best of
half a second of rounds still moved the inference ratio between 0.76 and 1.06 at 1e5 and between 0.75 and 1.05 at
1e6 (a dozen rounds there), where 150 rounds gave 0.80-0.85 and 0.77-0.92.
"""
import argparse, contextlib, os, subprocess, sys, time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import best_of, best_of_each
from mlparity.validate import Schema

KEY = ["user_id", "product_id", "purchase_date"]
PANDERA = Path(os.environ.get("MLPARITY_PANDERA_PATH", Path.home() / ".cache" / "mlparity-bench" / "pandera"))
PANDERA_PIN = "pandera==0.35.0"
CATS = np.array(["beauty", "books", "electronics", "fashion", "grocery", "home", "sports", "toys"])
BRANDS = np.array([f"brand_{i:02d}" for i in range(40)])


# ---------------------------------------------------------------- data
def frame(n:int, seed:int)->pd.DataFrame:
    "N rows x 10 columns: four floats, three integers, two text columns (8 and 40 values), one datetime."
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "amount": rng.lognormal(3.0, 1.0, n), "score": rng.normal(0.0, 1.0, n), "ratio": rng.random(n),
        "weight": rng.gamma(2.0, 2.0, n),
        "views": rng.poisson(5, n), "duration": rng.integers(0, 3600, n), "items": rng.integers(1, 20, n),
        "category": pd.array(CATS[rng.integers(0, len(CATS), n)], dtype="str"),
        "brand": pd.array(BRANDS[rng.integers(0, len(BRANDS), n)], dtype="str"),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 270 * 86400, n), unit="s"),
    })


def plant(df:pd.DataFrame, seed:int, share:float=0.001):
    "A copy of `df` with `share` of its rows bad, one problem per row, spread over six kinds; returns it and {kind: rows}."
    rng = np.random.default_rng(seed)
    bad = df.copy()
    rows = rng.choice(len(df), max(6, int(len(df) * share)), replace=False)
    kinds = {k: np.sort(r) for k, r in zip(["negative", "too_many", "category", "brand", "null", "early"], np.array_split(rows, 6))}
    bad.loc[kinds["negative"], "amount"] = -1.0
    bad.loc[kinds["too_many"], "views"] = 10 ** 6
    bad.loc[kinds["category"], "category"] = "unseen"
    bad.loc[kinds["brand"], "brand"] = "brand_new"
    bad.loc[kinds["null"], "score"] = np.nan
    bad.loc[kinds["early"], "when"] = pd.Timestamp("1970-01-01")
    return bad, kinds


def check_counted_once(schema, bad, kinds):
    "Every planted row is in exactly one error finding, of the expected check and column; no row fails twice on one column."
    rep = schema.validate(bad, max_examples=len(bad))
    want = {"negative": ("validate.range", "amount"), "too_many": ("validate.range", "views"), "category": ("validate.categories", "category"),
            "brand": ("validate.categories", "brand"), "null": ("validate.nulls", "score"), "early": ("validate.range", "when")}
    seen = {}
    for f in rep.errors:
        assert len(f.evidence["rows"]) == f.evidence["n_failing"]
        for r in f.evidence["rows"]:
            assert (r, f.subject) not in seen, f"row {r} fails twice on {f.subject}"
            seen[(r, f.subject)] = f.check
    for kind, rows in kinds.items():
        check, col = want[kind]
        assert all(seen.get((int(r), col)) == check for r in rows), kind
    planted = {(int(r), want[k][1]) for k, rs in kinds.items() for r in rs}
    return len(planted), len(seen) - len(planted)     # planted failures found, natural outliers found besides


# ---------------------------------------------------------------- pandera
@contextlib.contextmanager
def one_thread():
    """Inside, mlparity reads a frame's columns on one thread, as pandera does: its column threads (in `mlparity._frames`)
    ask `os.cpu_count()` how many they may use."""
    import mlparity._frames as F
    real = F.os.cpu_count
    F.os.cpu_count = lambda: 1
    try: yield
    finally: F.os.cpu_count = real


def setup_pandera(path:Path=PANDERA):
    "Install pandera and what it needs into `path` (not into the project's environment)."
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(path), PANDERA_PIN, "--no-deps"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(path), "pydantic", "typeguard", "typing_inspect"], check=True)


def import_pandera(path:Path=PANDERA):
    "pandera's pandas API from `path`, or None when it is not installed there."
    if path.is_dir(): sys.path.append(str(path))
    try:
        import pandera.pandas as pa
        return pa
    except ImportError:
        return None


def pandera_validate(schema, df, errors_cls):
    "pandera's lazy validation; the number of failure cases it reports."
    try:
        schema.validate(df, lazy=True)
        return 0
    except errors_cls as e:
        return len(e.failure_cases)


def versus_pandera(sizes, repeat:int, seconds:float=15.0):
    pa = import_pandera()
    if pa is None: print(f"pandera is not installed in {PANDERA}: run with --setup-pandera for the ratios; mlparity alone:")
    else:
        import pandera
        print(f"pandera {pandera.__version__}, pandas {pd.__version__}, numpy {np.__version__}")
    rows = []
    for n in sizes:
        train, batch = frame(n, 0), frame(n, 1)
        bad, kinds = plant(batch, 2)
        schema = Schema.infer(train)
        found, outliers = check_counted_once(schema, bad, kinds)

        def on_one_thread(f):
            def g():
                with one_thread(): return f()               # pandera uses one thread: mlparity's figures on one, beside
            return g
        calls = {"infer": lambda: Schema.infer(train), "validate": lambda: schema.validate(bad),
                 "plain infer": lambda: Schema.infer(train, max_categories=0),   # what pandera infers: kinds, nulls, ranges
                 "infer 1": on_one_thread(lambda: Schema.infer(train)), "validate 1": on_one_thread(lambda: schema.validate(bad))}
        if pa is not None:
            from pandera.errors import SchemaErrors
            pschema = pa.infer_schema(train)
            calls.update({"pandera infer": lambda: pa.infer_schema(train),
                          "pandera validate": lambda: pandera_validate(pschema, bad, SchemaErrors)})
        t = best_of_each(calls, repeat, min_seconds=seconds)   # in turns, so the machine's load falls on every side alike
        ours, val, plain_infer, infer_1, val_1 = (t[k] for k in ("infer", "validate", "plain infer", "infer 1", "validate 1"))
        row = {"rows": f"{n:.0e}", "infer s": round(ours.wall, 4), "infer, no categories s": round(plain_infer.wall, 4),
               "validate s": round(val.wall, 4)}
        if pa is not None:
            peer_inf, peer_val = t["pandera infer"], t["pandera validate"]
            row.update({"pandera infer s": round(peer_inf.wall, 4), "infer x pandera": round(ours.wall / peer_inf.wall, 2),
                        "infer, no categories x pandera": round(plain_infer.wall / peer_inf.wall, 2),
                        "pandera validate s": round(peer_val.wall, 4), "validate x pandera": round(val.wall / peer_val.wall, 2),
                        "infer, one thread x pandera": round(infer_1.wall / peer_inf.wall, 2),
                        "validate, one thread x pandera": round(val_1.wall / peer_val.wall, 2),
                        "pandera failure cases": peer_val.value})
        row["mlparity failures"] = sum(f.evidence["n_failing"] for f in val.value.errors)
        row["planted, each found once"] = found
        row["natural outliers"] = outliers
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False), flush=True)
        del train, batch, bad
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- NovaTech, against the legacy validator
def legacy_validate_interactions(df):
    "The weeks 5-6 validator (stops at the first failure; four checks), as the baseline."
    missing = {"user_id", "product_id", "purchase_date", "purchase_amount", "category", "session_duration", "page_views"} - set(df.columns)
    if missing: raise ValueError(missing)
    if df["user_id"].isnull().sum() > 0: raise ValueError("null user_id")
    if (df["purchase_amount"] < 0).sum() > 0: raise ValueError("negative")
    return len(df) - len(df.drop_duplicates(subset=KEY))


def versus_legacy(quick:bool, repeat:int):
    from mlparity.datasets import make_novatech
    n_users = 13_000 if quick else 130_000
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
    base = best_of(cases["legacy validator (baseline)"], repeat).wall
    rows = []
    for name, f in cases.items():
        t = base if name.startswith("legacy") else best_of(f, repeat).wall
        n = len(train) if "infer" in name else len(batch)
        rows.append({"case": name, "rows": n, "seconds": round(t, 3), "x legacy": round(t / base, 1),
                     "M rows/s": round(n / t / 1e6, 2)})
    with pd.option_context("display.width", 120):
        print(pd.DataFrame(rows).to_string(index=False))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1e5 rows against pandera, about 100k NovaTech rows")
    ap.add_argument("--sizes", nargs="+", type=float, default=None, help="rows of the frames against pandera (default 1e5 1e6)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=None,
                    help="part 1: rounds until they add up to this many seconds, at most 200 (default 15; 0.5 with --quick)")
    ap.add_argument("--setup-pandera", action="store_true", help=f"install {PANDERA_PIN} into {PANDERA} and stop")
    ap.add_argument("--skip-legacy", action="store_true", help="only the comparison with pandera")
    a = ap.parse_args(argv)
    if a.setup_pandera: return setup_pandera()
    sizes = [int(s) for s in (a.sizes or ([1e5] if a.quick else [1e5, 1e6]))]
    print("== mlparity vs pandera: Schema.infer and lazy validation, N rows x 10 columns, 0.1 % bad rows")
    with pd.option_context("display.width", 160):
        table = versus_pandera(sizes, a.repeat, a.seconds if a.seconds is not None else 0.5 if a.quick else 15.0)
        print("\n" + table.to_string(index=False))
    if not a.skip_legacy:
        print("\n== NovaTech interactions: ratios to the legacy validator")
        versus_legacy(a.quick, a.repeat)


if __name__ == "__main__": main()
