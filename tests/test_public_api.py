"""`import mlparity` exposes the main API by name and imports no heavy dependency until a check is used."""
import subprocess, sys
import pytest

HEAVY = ("scipy", "matplotlib", "sklearn", "dask")


def _run(code):
    return subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)


def test_import_loads_no_heavy_dependency():
    r = _run("import mlparity")
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in r.stderr.splitlines() if "|" in line}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("name", ["compare_frames", "assert_parity", "compare_functions", "Schema", "drift_report",
                                  "Profile", "as_of_aggregate", "find_future_leakage", "Binner", "check_binning",
                                  "compare_configs", "ModelRegistry", "audit", "Report", "Finding"])
def test_main_api_by_name(name):
    import mlparity
    assert name in mlparity.__all__ and name in dir(mlparity)
    assert getattr(mlparity, name).__name__ == name


def test_compare_frames_from_the_package():
    code = ("import sys, pandas as pd, mlparity\n"
            "a = pd.DataFrame({'k': [1, 2], 'f': [1.0, 2.0]}); b = pd.DataFrame({'k': [2, 1], 'f': [2.0, 3.0]})\n"
            "r = mlparity.compare_frames(a, b, key='k'); print(r.ok, r.failing)\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "False ['f']" and out[1] == "[]", out


def test_unknown_name_is_a_clear_error():
    import mlparity
    with pytest.raises(AttributeError, match="has no attribute 'compare_frame'"):
        mlparity.compare_frame


def test_no_public_name_is_also_a_module():
    "Importing a submodule binds its name on the package: a public function of that name would be replaced by it."
    import mlparity
    assert not set(mlparity._HOME) & set(mlparity._MODULES), set(mlparity._HOME) & set(mlparity._MODULES)


def test_monitor_is_the_module_whatever_was_imported_first():
    code = ("import sys, mlparity\n"
            "before = mlparity.monitor\n"
            "from mlparity.monitor import shadow_report\n"
            "assert before is mlparity.monitor is sys.modules['mlparity.monitor'], mlparity.monitor\n"
            "assert callable(mlparity.monitor.monitor) and mlparity.shadow_report is shadow_report\n"
            "print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr
