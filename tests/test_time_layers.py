"""The time modules sit on their floors: the as-of kernel (`_asof`, an engine) imports only the ground floor, the checks
(`pointintime`, `windows`, `boundaries`) import nothing above them at module level, the story module (`simulate`)
imports no check, and a plain pandas call to `as_of_aggregate` never loads `distributed` or `parity`."""
import ast, subprocess, sys
import pytest
from helpers import ROOT

PKG = ROOT / "mlparity"
ALLOWED = {                      # module -> the mlparity modules it may import at module level
    "_asof": {"core", "_frames"},
    "pointintime": {"core", "_frames", "_asof", "pictures"},   # pictures (floor 2): the leakage picture; matplotlib only when drawing
    "boundaries": {"core", "_frames"},
    "windows": {"core", "_frames", "configs"},   # configs.parse_duration: one reading of durations for both chapters
    "simulate": set(),
}


def module_level_imports(name:str)->set[str]:
    "The mlparity modules `name` imports outside functions (relative or absolute)."
    tree = ast.parse((PKG / f"{name}.py").read_text())
    found = set()
    for node in tree.body:      # module level only: lazy imports inside functions are allowed
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1: found.add(mod.split(".")[0] if mod else "")
            elif mod.startswith("mlparity"): found.add(mod.split(".")[1] if "." in mod else "")
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("mlparity.")}
    return found - {""}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_imports_stay_on_their_floor(name):
    extra = module_level_imports(name) - ALLOWED[name]
    assert not extra, f"mlparity.{name} imports {sorted(extra)} at module level; allowed: {sorted(ALLOWED[name])}"


def test_the_kernel_imports_no_check():
    assert module_level_imports("_asof") <= {"core", "_frames"}
    assert "pointintime" not in (PKG / "_asof.py").read_text()


def test_a_pandas_call_loads_neither_distributed_nor_parity():
    code = ("import sys, pandas as pd\n"
            "from mlparity.pointintime import as_of_aggregate, find_future_leakage\n"
            "ev = pd.DataFrame({'u': [1, 1], 't': pd.to_datetime(['2025-01-01', '2025-01-03']), 'a': [1.0, 2.0]})\n"
            "lab = pd.DataFrame({'u': [1], 'lt': pd.to_datetime(['2025-01-02'])})\n"
            "kw = dict(key='u', event_time='t', label_time='lt')\n"
            "f = lambda e, l: as_of_aggregate(e, l, aggs={'n': ('a', 'count')}, window='7D', **kw)\n"
            "assert f(ev, lab)['n'].tolist() == [1]\n"
            "assert find_future_leakage(f, ev, lab, **kw).ok\n"
            "loaded = [m for m in ('mlparity.distributed', 'mlparity.parity', 'mlparity.drift', 'dask', 'scipy', "
            "'matplotlib', 'sklearn') if m in sys.modules]\n"
            "assert not loaded, loaded\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
