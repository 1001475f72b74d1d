"""Benchmark `WindowedFeature.compute` (one vectorised pass over (entity, time) requests) against a baseline
measured in the same run: the legacy approach of masking the event log once per request time and counting with
`value_counts`, which is what the legacy feature store of chapter 12 does.

    python benchmarks/bench_windows.py           # full size (4,000 users x 48 h, 24 request times)
    python benchmarks/bench_windows.py --quick   # a small smoke run
"""
import argparse, time
import numpy as np
import pandas as pd
from mlparity.windows import WindowedFeature
from mlparity.simulate import poisson_events
from _timing import best_of


def legacy_counts(events, users, times, window):
    out = []
    for t in times:
        recent = events[(events.ts > t - window) & (events.ts <= t)]
        out.append(recent.user_id.value_counts().reindex(users, fill_value=0).to_numpy("float64"))
    return np.concatenate(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small smoke run")
    a = ap.parse_args(argv)
    sizes = [(200, 4)] if a.quick else [(1000, 6), (4000, 24)]
    rows = []
    for n_users, n_times in sizes:
        events = poisson_events(n_users, 48, seed=0)
        users = np.arange(n_users)
        times = 30 * 3600 + np.arange(n_times) * 600
        at = pd.DataFrame({"user_id": np.tile(users, n_times), "ts": np.repeat(times, n_users)})
        f = WindowedFeature("events_6h", "count", "6h")
        t_base, _, base = best_of(lambda: legacy_counts(events, users, times, 21600))
        t_new, _, new = best_of(lambda: f.compute(events, at))
        assert np.array_equal(base, new), "compute disagrees with the baseline"
        rows.append({"users": n_users, "request times": n_times, "events": len(events), "requests": len(at),
                     "baseline s": round(t_base, 4), "compute s": round(t_new, 4), "speed-up": round(t_base / t_new, 2)})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
