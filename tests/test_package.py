"""What `pip install mlparity` gives a user: the package imports with only its runtime requirements."""
import subprocess, sys, venv
import pytest
from helpers import ROOT

FORBIDDEN = {"nbdev", "fastcore", "execnb", "ghapi"}


@pytest.mark.slow
def test_wheel_installs_and_imports_without_dev_tools(tmp_path):
    run = lambda *a, **kw: subprocess.run(a, check=True, capture_output=True, text=True, **kw)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT))
    wheel = next((tmp_path / "dist").glob("mlparity-*.whl"))
    venv.create(tmp_path / "env", with_pip=True)
    py = str(tmp_path / "env" / "bin" / "python")
    run(py, "-m", "pip", "install", "-q", "--no-compile", "-c", str(ROOT / "constraints.txt"), str(wheel))
    code = ("import importlib, pkgutil, sys, mlparity\n"
            "mods = [m.name for m in pkgutil.walk_packages(mlparity.__path__, 'mlparity.') if m.name != 'mlparity._modidx']\n"
            "for m in mods: importlib.import_module(m)\n"
            f"bad = sorted(k for k in sys.modules if k.split('.')[0] in {sorted(FORBIDDEN)!r})\n"
            "assert not bad, f'imported at run time: {bad}'\n"
            "print(mlparity.__file__, len(mods))")
    outside = tmp_path / "elsewhere"; outside.mkdir()
    out = run(py, "-c", code, cwd=outside).stdout
    assert str(tmp_path / "env") in out, f"imported mlparity from the wrong place: {out}"
    requires = run(py, "-m", "pip", "show", "mlparity").stdout
    line = next(l for l in requires.splitlines() if l.startswith("Requires:"))
    names = {r.strip().lower() for r in line.split(":", 1)[1].split(",") if r.strip()}
    assert not names & FORBIDDEN, line
    assert {"numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "pyyaml"} <= names, line

    # the console script of the plain install works: a failing parity check exits 1, a clean audit 0
    exe = str(tmp_path / "env" / "bin" / "mlparity")
    (outside / "a.csv").write_text("user_id,f\n1,0.5\n2,1.0\n")
    (outside / "b.csv").write_text("user_id,f\n2,1.0\n1,1.5\n")
    r = subprocess.run([exe, "parity", "a.csv", "b.csv", "--key", "user_id", "--json"], cwd=outside, capture_output=True, text=True)
    assert r.returncode == 1 and '"ok": false' in r.stdout, r.stdout + r.stderr
    subprocess.run([py, "-c", "from mlparity.legacy import make_clean_repo; make_clean_repo('clean')"], cwd=outside, check=True)
    r = subprocess.run([exe, "audit", "clean"], cwd=outside, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # and the registry works on a fresh folder
    code = ("import numpy as np; from sklearn.linear_model import LogisticRegression; from mlparity.registry import ModelRegistry\n"
            "reg = ModelRegistry('models'); m = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])\n"
            "v = reg.publish('recs', m); model, loaded = reg.load('recs')\n"
            "assert loaded == v == reg.versions('recs')[-1] and (model.coef_ == m.coef_).all(); print('ok', v)")
    assert run(py, "-c", code, cwd=outside).stdout.strip() == "ok 1"
