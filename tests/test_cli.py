"""End-to-end tests of the `mlparity` console script: exit codes, JSON shape, bad files."""
import json, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd
import pytest

EXE = Path(sys.executable).with_name("mlparity")


def run(*args, cwd=None):
    assert EXE.exists(), f"console script missing: {EXE} (pip install -e . installs it)"
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    n = 500
    off = pd.DataFrame({"user_id": np.arange(n), "purchase_frequency": rng.poisson(3, n) / 90, "spend": rng.gamma(2, 30, n)})
    off.to_csv(d / "offline.csv", index=False)
    off.assign(purchase_frequency=off.purchase_frequency * 3).sample(frac=1, random_state=1).to_csv(d / "online.csv", index=False)
    off.sample(frac=1, random_state=2).to_csv(d / "online_ok.csv", index=False)
    ref = pd.DataFrame({"age": rng.normal(35, 10, 5000), "spend": rng.gamma(2, 30, 5000)})
    ref.to_csv(d / "ref.csv", index=False)
    pd.DataFrame({"age": rng.normal(38, 10, 5000), "spend": rng.gamma(2, 30, 5000)}).to_csv(d / "cur_shift.csv", index=False)
    pd.DataFrame({"age": rng.normal(35, 10, 5000), "spend": rng.gamma(2, 30, 5000)}).to_csv(d / "cur_same.csv", index=False)
    (d / "train.yaml").write_text("model:\n  n_neighbors: 47  # tuned in experiment 23\nserving:\n  top_k: 10  # one value for both paths\n")
    (d / "serve.yaml").write_text("model:\n  n_neighbors: 47  # tuned in experiment 23\nserving:\n  top_k: 12  # copied from predict.py\n")
    (d / "bad.yaml").write_text("model: [unclosed\n")
    (d / "notes.txt").write_text("hello")
    return d


def test_parity_exit_codes_and_json(files):
    r = run("parity", files / "offline.csv", files / "online.csv", "--key", "user_id", "--json")
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"title", "ok", "status", "findings", "tables"} and d["ok"] is False
    assert any(f["subject"] == "purchase_frequency" and f["severity"] == "error" for f in d["findings"])
    assert not any(f["subject"] == "spend" and f["severity"] == "error" for f in d["findings"])
    ok = run("parity", files / "offline.csv", files / "online_ok.csv", "--key", "user_id")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_parity_human_output_names_the_feature(files):
    r = run("parity", files / "offline.csv", files / "online.csv", "--key", "user_id")
    assert r.returncode == 1 and "purchase_frequency" in r.stdout and "FAILED" in r.stdout


@pytest.mark.parametrize("args, needle", [
    (["parity", "{d}/offline.csv", "{d}/missing.csv", "--key", "user_id"], "missing.csv: no such file"),
    (["parity", "{d}/offline.csv", "{d}/online.csv", "--key", "customer_id"], "customer_id"),
    (["parity", "{d}/offline.csv", "{d}/notes.txt", "--key", "user_id"], "unsupported file type '.txt'"),
    (["parity", "{d}/offline.csv"], "required"),
    (["configs", "{d}/bad.yaml", "{d}/train.yaml"], "bad.yaml"),
    (["configs", "{d}/nope.yaml"], "nope.yaml: no such file"),
    (["audit", "{d}/offline.csv"], "not a folder"),
    (["drift", "{d}/ref.csv", "{d}/missing.csv"], "missing.csv: no such file"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_usage_and_unreadable_input_exit_2(files, args, needle):
    r = run(*[a.format(d=files) for a in args])
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert needle in r.stderr, r.stderr


def test_drift(files):
    shifted = run("drift", files / "ref.csv", files / "cur_shift.csv", "--json")
    assert shifted.returncode == 1, shifted.stderr
    d = json.loads(shifted.stdout)
    assert d["ok"] is False and any("age" in f["subject"] for f in d["findings"] if f["severity"] == "error")
    same = run("drift", files / "ref.csv", files / "cur_same.csv")
    assert same.returncode == 0, same.stdout + same.stderr


def test_drift_with_a_sketch(files):
    r = run("drift", files / "ref.csv", files / "cur_shift.csv", "--sketch", "64", "--json")
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert any(f["check"] == "drift.approximate" for f in d["findings"])
    bad = run("drift", files / "ref.csv", files / "cur_shift.csv", "--sketch", "3")
    assert bad.returncode == 2 and "sketch must be None" in bad.stderr and "integer >= 16" in bad.stderr


def test_drift_from_saved_profile(files):
    from mlparity.drift import Profile
    p = files / "ref.profile.json"
    Profile.from_frame(pd.read_csv(files / "ref.csv")).save(p)
    assert p.exists()
    assert run("drift", p, files / "cur_shift.csv").returncode == 1
    assert run("drift", p, files / "cur_same.csv").returncode == 0


def test_configs(files):
    r = run("configs", files / "train.yaml", files / "serve.yaml", "--json")
    assert r.returncode == 1
    assert any("top_k" in f["subject"] and f["severity"] == "error" for f in json.loads(r.stdout)["findings"])
    assert run("configs", files / "train.yaml", files / "train.yaml").returncode == 0


def test_magic_numbers_are_advisory(files, tmp_path):
    (tmp_path / "a.yaml").write_text("serving:\n  top_k: 10\n")
    (tmp_path / "b.yaml").write_text("serving:\n  top_k: 10\n")
    r = run("configs", tmp_path / "a.yaml", tmp_path / "b.yaml")
    assert r.returncode == 0 and "warning" in r.stdout


def test_audit_writes_register(files, tmp_path):
    from mlparity.debt import DebtRegister
    from mlparity.legacy import make_legacy_repo, make_clean_repo
    legacy = make_legacy_repo(tmp_path / "legacy")
    r = run("audit", legacy, "--write", tmp_path / "TECH_DEBT.md")
    assert r.returncode == 1
    reg = DebtRegister.read(tmp_path / "TECH_DEBT.md")
    assert len(reg) >= 11
    assert run("audit", make_clean_repo(tmp_path / "clean")).returncode == 0


def test_progress_goes_to_stderr(files):
    r = run("parity", files / "offline.csv", files / "online_ok.csv", "--key", "user_id", "--json", "--progress")
    assert r.returncode == 0 and "3/3 done" in r.stderr
    json.loads(r.stdout)  # stdout is pure JSON
