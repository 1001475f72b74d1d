"""Benchmark mlparity.distributed against the pandas path on partitioned Parquet, through a LocalCluster.

    python benchmarks/bench_distributed.py --quick       # a smoke run: 1M keys (parity), 2M rows (drift)
    python benchmarks/bench_distributed.py               # 5M keys x 5 features, 10M rows x 5 columns
    python benchmarks/bench_distributed.py --keys 50_000_000 --rows 100_000_000 --pandas-keys 10_000_000 --pandas-rows 20_000_000

Three kinds of process, so that each peak RSS (the `resource.getrusage` high-water mark, ru_maxrss) belongs to one
role: a child writes the Parquet data; another child runs the pandas path on the part of the data pandas is asked to
hold (`--pandas-keys`, `--pandas-rows`: the first files of each dataset); this process is the Dask client, driving a
LocalCluster of worker processes.

The client first runs the checks at full size (parity over `--keys` keys, drift over `--rows` rows with a quantile
sketch of `--sketch` values per column) and reads its own peak RSS: that is the figure the 4 GiB limit is about.
Then, on the pandas-sized part, it runs the Dask path again: parity and exact drift must give reports equal to the
pandas ones (every finding and table), and the sketched drift statistics must lie within the error bounds the
sketched report states.
"""
from __future__ import annotations
import argparse, glob, json, logging, os, resource, subprocess, sys, tempfile, time

import numpy as np
import pandas as pd

FEATURES = [f"f{i}" for i in range(5)]


def rss_mb(who=resource.RUSAGE_SELF)->float:
    return resource.getrusage(who).ru_maxrss / 1024          # Linux: kilobytes


def timed(fn):
    t = time.perf_counter(); out = fn(); return out, time.perf_counter() - t


def write_parity(root, n_keys, block, per_file, seed=0):
    """Offline and online features of `n_keys` keys, `per_file` rows a file. Online rows are the offline rows shuffled
    within blocks of `block` keys (so the first block's files of each side hold the same keys), 1 % of f2 tripled."""
    for side in ("offline", "online"): os.makedirs(os.path.join(root, side))
    nfile = 0
    for b0 in range(0, n_keys, block):
        rng = np.random.default_rng([seed, b0])
        keys = np.arange(b0, b0 + block, dtype=np.int64)
        feats = {f: rng.normal(size=block) for f in FEATURES}
        perm = rng.permutation(block)
        bad = rng.random(block) < 0.01
        for i, s in enumerate(range(0, block, per_file)):
            sl = slice(s, s + per_file)
            pd.DataFrame({"user_id": keys[sl], **{f: v[sl] for f, v in feats.items()}}).to_parquet(
                os.path.join(root, "offline", f"part.{nfile + i:05d}.parquet"), index=False)
            p = perm[sl]
            on = pd.DataFrame({"user_id": keys[p], **{f: v[p] for f, v in feats.items()}})
            on["f2"] = on["f2"] * np.where(bad[p], 3.0, 1.0)
            on.to_parquet(os.path.join(root, "online", f"part.{nfile + i:05d}.parquet"), index=False)
        nfile += block // per_file


def write_drift(root, n_rows, per_file, seed=1):
    "Reference and current samples of 4 numeric columns and one categorical, `per_file` rows a file; x0 shifts by 0.2 sd."
    for name, shift in (("reference", 0.0), ("current", 0.2)):
        os.makedirs(os.path.join(root, name))
        for i in range(n_rows // per_file):
            rng = np.random.default_rng([seed, int(shift * 10), i])
            m = per_file
            pd.DataFrame({"x0": rng.normal(shift, 1, m), "x1": rng.exponential(1, m), "x2": rng.integers(0, 100, m).astype(float),
                          "x3": rng.normal(0, 1, m), "c": rng.choice(list("abcdefgh"), m)}).to_parquet(
                os.path.join(root, name, f"part.{i:05d}.parquet"), index=False)


def files(root, name, n_rows, per_file):
    return sorted(glob.glob(os.path.join(root, name, "*.parquet")))[:n_rows // per_file]


def pandas_path(root, n_keys, n_rows, per_file):
    "Child process: the pandas path on the first files, printing its times, peak RSS and reports as JSON."
    from mlparity.parity import compare_frames
    from mlparity.drift import drift_report
    read = lambda name, n: pd.concat([pd.read_parquet(f) for f in files(root, name, n, per_file)], ignore_index=True)
    par, t_par = timed(lambda: compare_frames(read("offline", n_keys), read("online", n_keys), "user_id"))
    dr, t_dr = timed(lambda: drift_report(read("reference", n_rows), read("current", n_rows)))
    print(json.dumps({"t_par": t_par, "t_dr": t_dr, "rss": rss_mb(), "par": par.to_dict(), "dr": dr.to_dict()}))


def sketch_errors(exact_table:pd.DataFrame, sketched)->tuple[float, bool]:
    "Largest |statistic difference| between an exact and a sketched drift table, and whether each is within its stated bound."
    a = exact_table.set_index(["column", "method"])["statistic"]
    s = sketched.table.set_index(["column", "method"])["statistic"]
    bounds = sketched.error_bounds.set_index(["column", "method"])["statistic_error"]
    diff = (a - s).abs()
    within = all(diff[i] <= bounds.get(i, 0.0) + 1e-12 for i in diff.index)
    return float(diff.max()), within


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=5_000_000, help="keys of the parity check (Dask, full size)")
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows of each drift sample (Dask, full size)")
    ap.add_argument("--pandas-keys", type=int, help="keys the pandas path holds (default: all)")
    ap.add_argument("--pandas-rows", type=int, help="rows per sample the pandas path holds (default: all)")
    ap.add_argument("--per-file", type=int, default=1_000_000, help="rows per Parquet file")
    ap.add_argument("--sketch", type=int, default=65_536, help="values kept per numeric column by the drift sketch")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the LocalCluster (1 thread each)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 1M keys, 2M rows, 200k rows per file")
    ap.add_argument("--skip-pandas", action="store_true", help="time only the Dask path at full size")
    ap.add_argument("--data", help="a folder holding data written by an earlier run with the same sizes (kept)")
    ap.add_argument("--_write", help=argparse.SUPPRESS); ap.add_argument("--_pandas", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.quick: a.keys, a.rows, a.per_file = 1_000_000, 2_000_000, 200_000
    a.pandas_keys, a.pandas_rows = a.pandas_keys or a.keys, a.pandas_rows or a.rows
    for what, n, d in (("keys", a.keys, a.pandas_keys), ("rows", a.rows, a.pandas_rows)):
        if d % a.per_file or n % d: sys.exit(f"--pandas-{what} must be a multiple of --per-file and divide --{what}")
    if a._write:
        write_parity(a._write, a.keys, a.pandas_keys, a.per_file); write_drift(a._write, a.rows, a.per_file); return
    if a._pandas: pandas_path(a._pandas, a.pandas_keys, a.pandas_rows, a.per_file); return

    import dask, dask.dataframe as dd
    from distributed import Client, LocalCluster
    from mlparity.distributed import compare_frames_dask
    from mlparity.drift import drift_report

    tmp = None if a.data else tempfile.TemporaryDirectory(dir=os.environ.get("MLPARITY_BENCH_DIR"))
    root = a.data or tmp.name
    me = [sys.executable, __file__, "--keys", str(a.keys), "--rows", str(a.rows), "--per-file", str(a.per_file),
          "--pandas-keys", str(a.pandas_keys), "--pandas-rows", str(a.pandas_rows)]
    t_write = 0.0
    if not os.path.exists(os.path.join(root, "offline")):
        print(f"writing {a.keys:,} keys x 2 sides and {a.rows:,} rows x 2 samples as Parquet in {root} ...", flush=True)
        _, t_write = timed(lambda: subprocess.run(me + ["--_write", root], check=True))
    print(f"data ready ({t_write:.0f} s); starting a LocalCluster of {a.workers} worker process(es)", flush=True)
    cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    base = rss_mb()
    read = lambda name, n: dd.read_parquet(files(root, name, n, a.per_file))

    print(f"Dask parity, {a.keys:,} keys ...", flush=True)
    par_full, t_par_full = timed(lambda: compare_frames_dask(read("offline", a.keys), read("online", a.keys), "user_id"))
    print(f"  {t_par_full:.1f} s; Dask drift (sketch of {a.sketch:,}), {a.rows:,} rows ...", flush=True)
    dr_full, t_dr_full = timed(lambda: drift_report(read("reference", a.rows), read("current", a.rows), sketch=a.sketch))
    print(f"  {t_dr_full:.1f} s", flush=True)
    rss_client_full = rss_mb()
    rss_workers = max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values())

    res = {}
    if not a.skip_pandas:
        print(f"Dask on the pandas-sized part ({a.pandas_keys:,} keys, {a.pandas_rows:,} rows) ...", flush=True)
        res["par"], res["t_par"] = timed(lambda: compare_frames_dask(read("offline", a.pandas_keys), read("online", a.pandas_keys), "user_id"))
        res["dr"], res["t_dr"] = timed(lambda: drift_report(read("reference", a.pandas_rows), read("current", a.pandas_rows)))
        res["drs"], res["t_drs"] = timed(lambda: drift_report(read("reference", a.pandas_rows), read("current", a.pandas_rows), sketch=a.sketch))
    client.close(); cluster.close()
    if not a.skip_pandas:
        print("pandas on the same part ...", flush=True)
        out = subprocess.run(me + ["--_pandas", root], check=True, capture_output=True, text=True).stdout
        pdres = json.loads(out.strip().splitlines()[-1])
    if tmp is not None: tmp.cleanup()

    print(f"\nmlparity.distributed benchmark: {a.workers} worker process(es) x 1 thread, {a.per_file:,} rows per Parquet file")
    print(f"{'check':<26} {'size':<24} {'dask s':>8} {'pandas s':>9} {'dask/pandas':>12}  result")
    print(f"{'parity':<26} {f'{a.keys:,} keys x 5':<24} {t_par_full:8.1f} {'':>9} {'':>12}  failing {par_full.failing}")
    print(f"{'drift, sketch':<26} {f'{a.rows:,} rows x 5':<24} {t_dr_full:8.1f} {'':>9} {'':>12}  drifted {dr_full.drifted}")
    ok = True
    if not a.skip_pandas:
        same_par, same_dr = res["par"].to_dict() == pdres["par"], res["dr"].to_dict() == pdres["dr"]
        t = pdres["dr"]["tables"]["drift"]
        exact_table = pd.DataFrame(t["data"], columns=t["columns"])
        err, within = sketch_errors(exact_table, res["drs"])
        print(f"{'parity':<26} {f'{a.pandas_keys:,} keys x 5':<24} {res['t_par']:8.1f} {pdres['t_par']:9.1f} "
              f"{res['t_par'] / pdres['t_par']:12.2f}  equal to pandas: {same_par}")
        print(f"{'drift, exact':<26} {f'{a.pandas_rows:,} rows x 5':<24} {res['t_dr']:8.1f} {pdres['t_dr']:9.1f} "
              f"{res['t_dr'] / pdres['t_dr']:12.2f}  equal to pandas: {same_dr}")
        print(f"{'drift, sketch':<26} {f'{a.pandas_rows:,} rows x 5':<24} {res['t_drs']:8.1f} {pdres['t_dr']:9.1f} "
              f"{res['t_drs'] / pdres['t_dr']:12.2f}  largest |statistic - exact| {err:.2e}, within stated bounds: {within}")
        ok = same_par and same_dr and within
    print(f"peak RSS (MB): Dask client {rss_client_full:.0f} through the full-size checks (with the cluster up, before "
          f"them: {base:.0f}); largest Dask worker {rss_workers:.0f}"
          + ("" if a.skip_pandas else f"; pandas process {pdres['rss']:.0f}"))
    print(f"client under 4 GiB: {rss_client_full < 4096}")
    if not ok: sys.exit("Dask and pandas reports differ, or a sketched statistic is outside its bound")


if __name__ == "__main__":
    main()
