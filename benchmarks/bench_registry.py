"""What the safe registry costs: `ModelRegistry.publish`/`load` against pickling to a file, measured in the same run.

    python benchmarks/bench_registry.py          # full size
    python benchmarks/bench_registry.py --quick  # smoke run (a few seconds)

The baseline is what the story's registry did: `pickle.dumps` and a plain `write_bytes` (no fsync, no verification,
no database), and `pickle.loads(read_bytes())` (no hash check). `publish` adds the artifact format, an fsync, a
read-back verification and a SQLite transaction; `load` adds a SQLite lookup, a SHA-256 and the format's checks
(and, for NearestNeighbors, rebuilding the search tree, which the format does not store).
"""
import argparse, pickle, tempfile, time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from mlparity.registry import ModelRegistry, to_artifact
from _timing import best_of


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small models, few repetitions")
    a = ap.parse_args(argv)
    reps, n_nn = (3, 2_000) if a.quick else (15, 50_000)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2_000, 20))
    models = {"LogisticRegression (20 features)": LogisticRegression().fit(X, X[:, 0] > 0),
              f"NearestNeighbors ({n_nn:,} x 16)": NearestNeighbors(n_neighbors=10).fit(rng.normal(size=(n_nn, 16)))}  # any k: k is stored, not the cost
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        reg = ModelRegistry(Path(tmp) / "registry")
        for label, model in models.items():
            plain = Path(tmp) / "plain.pkl"
            pub_base = 1e3 * best_of(lambda: plain.write_bytes(pickle.dumps(model)), reps).wall
            i = iter(range(10**6))
            # a new name per call, so each publish really uploads (content addressing would skip a repeated upload)
            pub = 1e3 * best_of(lambda: reg.publish(f"m{next(i)}", model), reps).wall
            load_base = 1e3 * best_of(lambda: pickle.loads(plain.read_bytes()), reps).wall
            load = 1e3 * best_of(lambda: reg.load("m0"), reps).wall
            rows.append((label, len(pickle.dumps(model)), len(to_artifact(model)), pub_base, pub, load_base, load))
    print(f"{'model':<34} {'pickle B':>10} {'artifact B':>10} {'pickle+write ms':>15} {'publish ms':>10} {'ratio':>6} "
          f"{'unpickle ms':>11} {'load ms':>8} {'ratio':>6}")
    for label, pb, ab, b1, p1, b2, l2 in rows:
        print(f"{label:<34} {pb:>10,} {ab:>10,} {b1:>15.2f} {p1:>10.2f} {p1/b1:>6.1f} {b2:>11.2f} {l2:>8.2f} {l2/b2:>6.1f}")


if __name__ == "__main__": main()
