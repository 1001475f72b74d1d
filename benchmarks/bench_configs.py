"""Benchmark the cost of reading rationale comments: `load_config` (yaml.safe_load plus the comment line scan and
flattening) and `compare_configs`, against `yaml.safe_load` alone on the same file, measured in the same run.

    python benchmarks/bench_configs.py           # full size (configs of 100 and 2,000 sections of 10 keys)
    python benchmarks/bench_configs.py --quick   # a small smoke run
"""
import argparse, tempfile, time
from pathlib import Path
import pandas as pd
import yaml
from mlparity.configs import load_config, compare_configs
from _timing import best_of


def make_yaml(n_sections):
    lines = []
    for i in range(n_sections):
        lines.append(f"section_{i}:")
        for j in range(10):
            lines.append(f"  key_{j}: {i * 10 + j + 2}" + (f"  # tuned in run {j}" if j % 2 else ""))
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a small smoke run")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in ([20] if a.quick else [100, 2000]):
            p = Path(d) / f"c{n}.yaml"; p.write_text(make_yaml(n))
            t_base = best_of(lambda: yaml.safe_load(p.read_text())).wall
            t_load = best_of(lambda: load_config(p)).wall
            t_cmp = best_of(lambda: compare_configs(p, p)).wall
            rows.append({"keys": n * 10, "lines": n * 11, "safe_load s": round(t_base, 4),
                         "load_config s": round(t_load, 4), "load / safe_load": round(t_load / t_base, 2),
                         "compare_configs s": round(t_cmp, 4), "compare / safe_load": round(t_cmp / t_base, 2)})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
