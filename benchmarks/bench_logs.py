"""Benchmarks of `mlparity.logs`.

    python benchmarks/bench_logs.py overhead            # cost of logging one request (10 features), amortised
    python benchmarks/bench_logs.py overhead --quick

Target (overhead): at most 20 microseconds per logged request, amortised over buffer flushes (about 1 % of a 2 ms
serving call). The time includes writing the Parquet files; it is measured with a single thread and with four
threads sharing one log.
"""
from __future__ import annotations
import argparse, gc, shutil, sys, tempfile, threading, time
from pathlib import Path
import numpy as np
import pandas as pd
from mlparity.logs import FeatureLog, read_log

OVERHEAD_TARGET_US = 20.0


def log_requests(folder:Path, n:int, threads:int=1, n_features:int=10, max_rows:int=10_000)->float:
    "Log `n` requests of `n_features` float features (split over `threads`) and close; the wall seconds it took."
    times = [pd.Timestamp("2024-08-01") + pd.Timedelta(milliseconds=37 * i) for i in range(n)]
    rng = np.random.default_rng(0)
    feats = [{f"f{j}": float(v) for j, v in enumerate(row)} for row in rng.normal(size=(min(n, 1000), n_features))]
    shutil.rmtree(folder, ignore_errors=True)
    gc.collect()
    t = time.perf_counter()
    log = FeatureLog(folder, key="user_id", max_rows=max_rows, max_seconds=5.0, model_version="v1")
    def work(lo, hi):
        for i in range(lo, hi): log.log(times[i], i % 100_003, feats[i % len(feats)])
    bounds = np.linspace(0, n, threads + 1).astype(int)
    ts = [threading.Thread(target=work, args=(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]
    for th in ts: th.start()
    for th in ts: th.join()
    log.close()
    return time.perf_counter() - t


def overhead(a):
    n = 50_000 if a.quick else 500_000
    folder = Path(tempfile.mkdtemp(prefix="bench_logs_"))
    try:
        rows = []
        for threads in (1, 4):
            wall = min(log_requests(folder / "log", n, threads) for _ in range(max(1, a.repeat)))
            got = len(read_log(folder / "log", columns=["user_id"]))
            assert got == n, f"logged {n} requests, read back {got}"
            rows.append((threads, 1e6 * wall / n))
        for threads, us in rows:
            print(f"overhead per logged request ({threads} thread(s), {n:,} requests x 10 features, writes included): "
                  f"{us:.2f} us (target <= {OVERHEAD_TARGET_US:.0f} us)")
        worst = max(us for _, us in rows)
        print("overhead:", "PASS" if worst <= OVERHEAD_TARGET_US else "FAIL")
        return worst <= OVERHEAD_TARGET_US
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="?", default="overhead", choices=["overhead"])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    ok = overhead(a)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
