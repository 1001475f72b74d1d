"""Benchmark mlparity.distributed against the pandas path on partitioned Parquet, through a LocalCluster.

    python benchmarks/bench_distributed.py              # 500k keys x 5 features (parity), 1M rows x 5 columns (drift)
    python benchmarks/bench_distributed.py --quick      # a smoke run (50k keys, 100k rows)
    python benchmarks/bench_distributed.py --scale 4    # 2M keys, 4M rows

The data is written by a child process, the pandas path runs in another child process, and the Dask path runs in
this process (the client) on a LocalCluster of worker processes, so that each peak RSS (`resource.getrusage`
high-water mark, ru_maxrss) belongs to one role: the client, each worker, the pandas process. The reports must be equal.
"""
from __future__ import annotations
import argparse, json, logging, os, resource, subprocess, sys, tempfile, time

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


def pandas_path(root):
    "Child process: the pandas path, printing its times, peak RSS and reports as JSON."
    from mlparity.parity import compare_frames
    from mlparity.drift import drift_report
    p = lambda name: os.path.join(root, name)
    par, t_par = timed(lambda: compare_frames(pd.read_parquet(p("offline")), pd.read_parquet(p("online")), "user_id"))
    dr, t_dr = timed(lambda: drift_report(pd.read_parquet(p("reference")), pd.read_parquet(p("current"))))
    print(json.dumps({"t_par": t_par, "t_dr": t_dr, "rss": rss_mb(), "par": par.to_dict(), "dr": dr.to_dict()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1.0: 500k keys (parity) and 1M rows (drift)")
    ap.add_argument("--quick", action="store_true", help="a smoke run at scale 0.1")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the LocalCluster")
    ap.add_argument("--files", type=int, default=8, help="Parquet files per dataset")
    ap.add_argument("--_write", help=argparse.SUPPRESS); ap.add_argument("--_pandas", help=argparse.SUPPRESS)
    a = ap.parse_args()
    scale = 0.1 if a.quick else a.scale
    n_keys, n_rows = int(500_000 * scale), int(1_000_000 * scale)
    if a._write: write_parity(a._write, n_keys, a.files); write_drift(a._write, n_rows, a.files); return
    if a._pandas: pandas_path(a._pandas); return
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    from mlparity.distributed import compare_frames_dask, drift_report_dask

    with tempfile.TemporaryDirectory() as root:
        me = [sys.executable, __file__, "--scale", str(scale), "--files", str(a.files)]
        _, t_write = timed(lambda: subprocess.run(me + ["--_write", root], check=True))
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        base = rss_mb()
        p = lambda name: os.path.join(root, name)
        par_dd, t_par_dd = timed(lambda: compare_frames_dask(dd.read_parquet(p("offline")), dd.read_parquet(p("online")), "user_id"))
        dr_dd, t_dr_dd = timed(lambda: drift_report_dask(dd.read_parquet(p("reference")), dd.read_parquet(p("current"))))
        rss_client = rss_mb()
        rss_workers = max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values())
        client.close(); cluster.close()
        out = subprocess.run(me + ["--_pandas", root], check=True, capture_output=True, text=True).stdout
        pdres = json.loads(out.strip().splitlines()[-1])
    same_par, same_dr = par_dd.to_dict() == pdres["par"], dr_dd.to_dict() == pdres["dr"]   # every finding and table
    print(f"mlparity.distributed benchmark: {a.workers} worker process(es) x 1 thread, {a.files} Parquet files per dataset "
          f"(data written in {t_write:.1f} s)")
    rows = [("parity", f"{n_keys:,} keys x 5 features", pdres["t_par"], t_par_dd, same_par),
            ("drift", f"{n_rows:,} rows x 5 columns", pdres["t_dr"], t_dr_dd, same_dr)]
    print(f"{'check':<8} {'size':<28} {'pandas s':>9} {'dask s':>8} {'dask/pandas':>12} {'equal':>6}")
    for c, size, t_pd, t_dd, same in rows:
        print(f"{c:<8} {size:<28} {t_pd:9.2f} {t_dd:8.2f} {t_dd / t_pd:12.2f} {str(same):>6}")
    print(f"peak RSS (MB): Dask client {rss_client:.0f} (with the cluster up, before the checks: {base:.0f}), "
          f"largest Dask worker {rss_workers:.0f}, pandas process {pdres['rss']:.0f}")
    print(f"parity found: {par_dd.failing} ({par_dd.summary.set_index('feature').loc['f2', 'mismatches']:,} mismatches of f2); "
          f"drift found: {dr_dd.drifted}")
    if not (same_par and same_dr): sys.exit("Dask and pandas reports differ")


if __name__ == "__main__":
    main()
