"""Benchmark mlparity.distributed against the pandas path on partitioned Parquet, through a LocalCluster.

    python benchmarks/bench_distributed.py              # 500k keys x 5 features (parity), 1M rows x 5 columns (drift)
    python benchmarks/bench_distributed.py --quick      # a smoke run (50k keys, 100k rows)
    python benchmarks/bench_distributed.py --scale 4    # 2M keys, 4M rows

Each check runs on Dask first (LocalCluster of worker processes: the client's memory is this process's), then on
pandas in the same process; reports must be equal. Peak RSS is `resource.getrusage` high-water marks: of this process
(the client) after the Dask runs, then after the pandas runs, and of the worker processes (RUSAGE_CHILDREN).
"""
from __future__ import annotations
import argparse, logging, os, resource, sys, tempfile, time

import numpy as np
import pandas as pd


def rss_mb(who=resource.RUSAGE_SELF)->float:
    return resource.getrusage(who).ru_maxrss / 1024          # Linux: kilobytes


def write_parity(root, n_keys, n_files, seed=0):
    rng = np.random.default_rng(seed)
    feats = {f"f{i}": rng.normal(size=n_keys) for i in range(5)}
    off = pd.DataFrame({"user_id": np.arange(n_keys, dtype=np.int64), **feats})
    on = off.sample(frac=1.0, random_state=seed).reset_index(drop=True)      # serving rows in another order
    on["f2"] = on["f2"] * np.where(rng.random(n_keys) < 0.01, 3.0, 1.0)       # 1 % of one feature 3x
    for name, df in (("offline", off), ("online", on)):
        os.makedirs(os.path.join(root, name))
        for i, part in enumerate(np.array_split(np.arange(len(df)), n_files)):
            df.iloc[part].to_parquet(os.path.join(root, name, f"part.{i}.parquet"), index=False)


def write_drift(root, n_rows, n_files, seed=1):
    rng = np.random.default_rng(seed)
    for name, shift in (("reference", 0.0), ("current", 0.2)):
        os.makedirs(os.path.join(root, name))
        for i in range(n_files):
            m = n_rows // n_files
            df = pd.DataFrame({"x0": rng.normal(shift, 1, m), "x1": rng.exponential(1, m), "x2": rng.integers(0, 100, m).astype(float),
                               "x3": rng.normal(0, 1, m), "c": rng.choice(list("abcdefgh"), m)})
            df.to_parquet(os.path.join(root, name, f"part.{i}.parquet"), index=False)


def timed(fn):
    t = time.perf_counter(); out = fn(); return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0: 500k keys (parity) and 1M rows (drift)")
    ap.add_argument("--quick", action="store_true", help="a smoke run at scale 0.1")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the LocalCluster")
    ap.add_argument("--files", type=int, default=8, help="Parquet files per dataset")
    a = ap.parse_args()
    scale = 0.1 if a.quick else a.scale
    n_keys, n_rows = int(500_000 * scale), int(1_000_000 * scale)
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    from mlparity.distributed import compare_frames_dask, drift_report_dask
    from mlparity.parity import compare_frames
    from mlparity.drift import drift_report

    with tempfile.TemporaryDirectory() as root:
        (_, t_write) = timed(lambda: (write_parity(root, n_keys, a.files), write_drift(root, n_rows, a.files)))
        base = rss_mb()
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        p = lambda name: os.path.join(root, name)
        par_dd, t_par_dd = timed(lambda: compare_frames_dask(dd.read_parquet(p("offline")), dd.read_parquet(p("online")), "user_id"))
        dr_dd, t_dr_dd = timed(lambda: drift_report_dask(dd.read_parquet(p("reference")), dd.read_parquet(p("current"))))
        rss_dask = rss_mb()
        client.close(); cluster.close()
        rss_workers = rss_mb(resource.RUSAGE_CHILDREN)
        par_pd, t_par_pd = timed(lambda: compare_frames(pd.read_parquet(p("offline")), pd.read_parquet(p("online")), "user_id"))
        dr_pd, t_dr_pd = timed(lambda: drift_report(pd.read_parquet(p("reference")), pd.read_parquet(p("current"))))
        rss_pd = rss_mb()
    same_par = par_dd.to_dict() == par_pd.to_dict()      # every finding and table (NaN as None)
    same_dr = dr_dd.to_dict() == dr_pd.to_dict()
    print(f"mlparity.distributed benchmark: {a.workers} worker process(es) x 1 thread, {a.files} Parquet files per dataset "
          f"(data written in {t_write:.1f} s)")
    rows = [("parity", f"{n_keys:,} keys x 5 features", t_pd, t_dd, same)
            for t_pd, t_dd, same in [(t_par_pd, t_par_dd, same_par)]]
    rows += [("drift", f"{n_rows:,} rows x 5 columns", t_dr_pd, t_dr_dd, same_dr)]
    print(f"{'check':<8} {'size':<28} {'pandas s':>9} {'dask s':>8} {'dask/pandas':>12} {'equal':>6}")
    for c, size, t_pd, t_dd, same in rows:
        print(f"{c:<8} {size:<28} {t_pd:9.2f} {t_dd:8.2f} {t_dd / t_pd:12.2f} {str(same):>6}")
    print(f"peak RSS: client before the cluster {base:.0f} MB, client after the Dask runs {rss_dask:.0f} MB, "
          f"after the pandas runs {rss_pd:.0f} MB (high-water marks of this process); largest worker process {rss_workers:.0f} MB")
    print(f"parity found: {par_dd.failing} ({par_dd.summary.set_index('feature').loc['f2', 'mismatches']:,} mismatches of f2); "
          f"drift found: {dr_dd.drifted}")
    if not (same_par and same_dr): sys.exit("Dask and pandas reports differ")


if __name__ == "__main__":
    main()
