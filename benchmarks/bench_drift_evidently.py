"""Benchmark `mlparity.drift.drift_report` against Evidently 0.7's `DataDriftPreset` on the same frames, in one run.

    python benchmarks/bench_drift_evidently.py --setup-only   # one-off: create benchmarks/.venv-evidently (~1 min)
    python benchmarks/bench_drift_evidently.py --quick        # 10 numeric columns x 100k rows per side
    python benchmarks/bench_drift_evidently.py                # 10 numeric columns x 1M rows per side (minutes)

Run it with the project's `.venv` (mlparity, pandas 3). Evidently 0.7.23 does not import with pandas 3, so it runs in
its own virtualenv, `benchmarks/.venv-evidently` (evidently==0.7.23, pandas<3, pyarrow), which this script creates
when it is missing; it then runs there as a child process.

Data: `bench_drift.frames` (the scipy benchmark's generator: normal columns with sd 10, column i of current shifted
by 0.3*i, i.e. 0.03*i sd), written once to Parquet in a temporary folder; both processes read those files, and the
child reports a SHA-256 of every column, so that identical inputs are checked, not assumed.

What is compared: with more than 1000 reference rows Evidently's default test for a numeric column is the Wasserstein
distance normed by the reference's population std (threshold 0.1), so the like-for-like candidate is
`drift_report(ref, cur, method="wasserstein")`; `--method ks` forces KS on both sides (Evidently reports the p-value).
mlparity is also timed with `method=["ks", "wasserstein"]` (more work than Evidently does), for information.

Timing: mlparity is best of `--repeat` runs in this process. Evidently's child imports evidently, loads the data,
warms up on the first 2000 rows (lazy imports, registries), then times `Report([DataDriftPreset()]).run(...)` only,
best of `--ev-repeat` runs (default 1: a full-size run takes about a minute). Wall and CPU seconds are both shown.

Pass (exit 0) when mlparity's like-for-like run is >= 20x faster than Evidently in wall time and in CPU time, and
every column's statistic agrees within STAT_RTOL (relative to max(1, |Evidently's value|)) with the same drift
decisions. The 20x criterion is about the default preset. With `--method ks` Evidently's KS is scipy's `ks_2samp`,
so the gap is much smaller (measured about 7x at 100k rows, 13x at 1M) and that run exits 1; it is kept as a check
that the KS p-values agree (most are 0 at these sizes, so it checks the few undrifted or mildly drifted columns).
"""
import argparse, hashlib, json, os, resource, subprocess, sys, tempfile, textwrap, time
from pathlib import Path
import numpy as np, pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_drift import frames, best_of          # same data generator and timing as the scipy benchmark
from mlparity.drift import drift_report

EV_VENV = HERE / ".venv-evidently"
EV_PINS = ["evidently==0.7.23", "pandas<3", "pyarrow"]
MIN_SPEEDUP = 20.0  # the target: mlparity at least 20x faster than Evidently's default preset
# Both sides compute the same float64 formula (mean |sorted a - sorted b| vs scipy's integral of |F_a - F_b|; numpy's
# std vs pandas' std with ddof=0) with different summation orders. Over 1M terms the rounding differences stay near
# 1e-13 relative; 1e-9 leaves wide room for that and is still far too tight to hide a different definition (sample vs
# population std alone differs by 5e-7 relative at 1M rows, by 5e-6 at 100k).
STAT_RTOL = 1e-9
EV_THRESHOLDS = {"wasserstein": 0.1, "ks": 0.05}  # Evidently's defaults: drift if score >= 0.1 / p-value <= 0.05

CHILD = textwrap.dedent('''
    import hashlib, json, os, resource, sys, time
    import pandas as pd
    import evidently
    from evidently import Report
    from evidently.presets import DataDriftPreset
    d, method, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ref, cur = pd.read_parquet(os.path.join(d, "reference.parquet")), pd.read_parquet(os.path.join(d, "current.parquet"))
    sha = {side: {c: hashlib.sha256(f[c].to_numpy().tobytes()).hexdigest() for c in f}
           for side, f in (("reference", ref), ("current", cur))}
    preset = (lambda: DataDriftPreset()) if method == "wasserstein" else (lambda: DataDriftPreset(num_method=method))
    Report([preset()]).run(current_data=cur.head(2000), reference_data=ref.head(2000))   # warm-up, not timed
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        snap = Report([preset()]).run(current_data=cur, reference_data=ref)
        walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
    scores, names = {}, {}
    for m in snap.dict()["metrics"]:
        cfg = m["config"]
        if cfg.get("type", "").endswith("ValueDrift"):
            scores[cfg["column"]], names[cfg["column"]] = float(m["value"]), cfg.get("method")
    print(json.dumps(dict(version=evidently.__version__, pandas=pd.__version__, wall=min(walls), cpu=min(cpus),
                          scores=scores, methods=names, sha=sha,
                          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
''')


def ev_python() -> Path: return EV_VENV / "bin" / "python"


def ensure_evidently_env() -> None:
    "Create benchmarks/.venv-evidently with EV_PINS if it is missing or does not import evidently; one-off."
    py = ev_python()
    if py.exists() and subprocess.run([py, "-c", "import evidently, pyarrow"], capture_output=True).returncode == 0:
        return
    print(f"== one-off setup: creating {EV_VENV} with {' '.join(EV_PINS)} (Evidently 0.7 needs pandas<3) ...", flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", EV_VENV], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *EV_PINS], check=True)
    print("== done", flush=True)


def run_evidently(folder: Path, method: str, repeat: int) -> dict:
    script = folder / "evidently_child.py"
    script.write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["DO_NOT_TRACK"] = "1"                                     # no Evidently telemetry from a benchmark
    p = subprocess.run([ev_python(), script, folder, method, str(repeat)], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"Evidently child failed (exit {p.returncode}):\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100k rows per side instead of 1M")
    ap.add_argument("--rows", type=int, default=None); ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--method", choices=["wasserstein", "ks"], default="wasserstein",
                    help="statistic on both sides (default: Evidently's own default for >1000 numeric rows)")
    ap.add_argument("--repeat", type=int, default=3, help="mlparity runs (best of)")
    ap.add_argument("--ev-repeat", type=int, default=1, help="timed Evidently runs (best of)")
    ap.add_argument("--setup-only", action="store_true", help="create the Evidently environment and stop")
    a = ap.parse_args(argv)
    ensure_evidently_env()
    if a.setup_only: return 0
    n = a.rows or (100_000 if a.quick else 1_000_000)
    ref, cur = frames(n, a.cols)
    with tempfile.TemporaryDirectory(prefix="bench_drift_evidently_") as tmp:
        folder = Path(tmp)
        ref.to_parquet(folder / "reference.parquet", index=False); cur.to_parquet(folder / "current.parquet", index=False)
        ev = run_evidently(folder, a.method, a.ev_repeat)
    # identical inputs: the child hashed exactly the arrays it gave Evidently
    sha = {side: {c: hashlib.sha256(f[c].to_numpy().tobytes()).hexdigest() for c in f}
           for side, f in (("reference", ref), ("current", cur))}
    if sha != ev["sha"]: raise SystemExit("the Evidently child did not read the same data (column hashes differ)")

    t_ours, c_ours, rep = best_of(lambda: drift_report(ref, cur, method=a.method), a.repeat)
    t_both, c_both, _ = best_of(lambda: drift_report(ref, cur, method=["ks", "wasserstein"]), a.repeat)

    ours = rep.table.set_index("column")
    field = "statistic" if a.method == "wasserstein" else "p_value"   # what Evidently reports as the drift score
    cols = list(ref.columns)
    if set(ev["scores"]) != set(cols): raise SystemExit(f"Evidently scored {sorted(ev['scores'])}, expected {cols}")
    diffs = {c: abs(float(ours.loc[c, field]) - ev["scores"][c]) for c in cols}
    rel_ok = all(diffs[c] <= STAT_RTOL * max(1.0, abs(ev["scores"][c])) for c in cols)
    thr = EV_THRESHOLDS[a.method]
    ev_drift = {c: (s >= thr) if a.method == "wasserstein" else (s <= thr) for c, s in ev["scores"].items()}
    same_decisions = all(bool(ours.loc[c, "drifted"]) == ev_drift[c] for c in cols)

    table = pd.DataFrame([
        {"what": f"Evidently {ev['version']} DataDriftPreset ({ev['methods'][cols[0]]}), {a.cols} cols x {n:,} rows/side",
         "wall s": ev["wall"], "cpu s": ev["cpu"], "wall ratio": 1.0, "cpu ratio": 1.0},
        {"what": f"mlparity drift_report method={a.method!r} (same statistic)", "wall s": t_ours, "cpu s": c_ours,
         "wall ratio": ev["wall"] / t_ours, "cpu ratio": ev["cpu"] / c_ours},
        {"what": "mlparity drift_report method=['ks','wasserstein'] (more work)", "wall s": t_both, "cpu s": c_both,
         "wall ratio": ev["wall"] / t_both, "cpu ratio": ev["cpu"] / c_both},
    ])
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print("ratio = Evidently seconds / mlparity seconds")
    print(f"per-column {field} (mlparity | Evidently | abs diff):")
    for c in cols: print(f"  {c:>6} {float(ours.loc[c, field]):.15g} | {ev['scores'][c]:.15g} | {diffs[c]:.1e}")
    print(f"max |{a.method} {field} - Evidently| = {max(diffs.values()):.1e} (tolerance {STAT_RTOL:g} relative);"
          f" drift decisions {'identical' if same_decisions else 'DIFFER'}"
          f" ({sum(ev_drift.values())}/{len(cols)} columns drifted per Evidently)")
    print(f"peak RSS: Evidently child {ev['peak_rss_mb']:.0f} MB (pandas {ev['pandas']}), this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (pandas {pd.__version__})")
    why = []
    if ev["wall"] / t_ours < MIN_SPEEDUP: why.append(f"wall speed-up {ev['wall'] / t_ours:.1f}x < {MIN_SPEEDUP:g}x")
    if ev["cpu"] / c_ours < MIN_SPEEDUP: why.append(f"CPU speed-up {ev['cpu'] / c_ours:.1f}x < {MIN_SPEEDUP:g}x")
    if not rel_ok: why.append(f"statistics differ by more than {STAT_RTOL:g} relative")
    if not same_decisions: why.append("drift decisions differ")
    print("PASS" if not why else "FAIL: " + "; ".join(why))
    return 0 if not why else 1


if __name__ == "__main__": raise SystemExit(main())
