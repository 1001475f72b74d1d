"""Hostile input for the audit, the config loader and the command line: each gives a clear error naming the problem,
or a finding in the report; never a traceback from yaml or the file system, never a hang (issue 13)."""
import os, subprocess, sys, time
from pathlib import Path
import numpy as np, pandas as pd
import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

from mlparity.configs import load_config, flatten_config, compare_configs, check_pipeline_config
from mlparity.debt import audit_report, audit, DebtRegister
from mlparity.legacy import make_legacy_repo

EXE = Path(sys.executable).with_name("mlparity")
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


def run(*args, cwd=None):
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


# ---------------------------------------------------------------- configs: files
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i-1}'] * 9)}]\n" for i in range(1, 9))   # nine levels of nine aliases: 9**9 leaves

YAML_FILES = [   # (file name, bytes, error type, words in the message)
    ("bomb.yaml", BOMB.encode(), ValueError, "alias bomb"),
    ("flow_deep.yaml", ("a: " + "[" * 5000 + "]" * 5000 + "\n").encode(), ValueError, "nested too deeply"),
    ("block_deep.yaml", "".join("  " * i + "a:\n" for i in range(400)).encode(), ValueError, "nested"),
    ("self_alias.yaml", b"a: &x [*x]\n", ValueError, "nested more than 100 levels deep"),
    ("latin1.yaml", "name: caf\u00e9\n".encode("latin-1"), ValueError, "is not UTF-8 text (byte 0xe9"),
    ("binary.yaml", bytes(range(256)), ValueError, "not UTF-8"),
    ("huge.yaml", b"a: 1\n" * 300_000, ValueError, "over the 1,000,000"),
    ("bad_date.yaml", b"start: 2024-13-45\n", ValueError, "month must be in 1..12"),
    ("bad_float.yaml", b"a: !!float 'abc'\n", ValueError, "invalid YAML"),
    ("python_tag.yaml", b'a: !!python/object/apply:os.system ["echo owned"]\n', ValueError, "could not determine a constructor"),
    ("unhashable.yaml", b"? [a, b]\n: 1\n", ValueError, "unhashable key (line 1"),
    ("tab.yaml", b"a:\n\tb: 1\n", ValueError, "line 2, column 1"),
    ("unclosed.yaml", b"model: [unclosed\n", ValueError, "invalid YAML"),
    ("empty.yaml", b"", ValueError, "is empty"),
    ("twice.yaml", b"serving:\n  top_k: 10\n  top_k: 12\n", ValueError, "key 'top_k' is written twice (lines 2 and 3)"),
    ("list.yaml", b"- a\n- 1\n", ValueError, "holds a list, not a mapping"),
    ("scalar.yaml", b"42\n", ValueError, "holds a int"),
    ("rationale_list.yaml", b"a: 1\nrationale: [x]\n", ValueError, "must map keys to reasons"),
]


@pytest.mark.parametrize("name, data, exc, words", YAML_FILES, ids=[c[0] for c in YAML_FILES])
def test_hostile_yaml_file_gives_a_named_error_fast(tmp_path, name, data, exc, words):
    p = tmp_path / name
    p.write_bytes(data)
    t0 = time.process_time()
    with pytest.raises(exc) as e: load_config(p)
    assert time.process_time() - t0 < 10, "took too long"
    assert words in str(e.value), str(e.value)
    assert name in str(e.value), f"the message does not name the file: {e.value}"
    assert not type(e.value).__module__.startswith("yaml")


def test_merge_keys_may_override_but_plain_keys_may_not_repeat(tmp_path):
    (tmp_path / "merge.yaml").write_text("base: &b {x: 1, y: 2}\nserving: {<<: *b, x: 3}\n")
    assert load_config(tmp_path / "merge.yaml")[0] == {"base.x": 1, "base.y": 2, "serving.x": 3, "serving.y": 2}
    (tmp_path / "nested.yaml").write_text("a: 1\nb:\n  a: 1\n")      # the same key in two mappings is fine
    assert load_config(tmp_path / "nested.yaml")[0] == {"a": 1, "b.a": 1}


def test_utf8_with_byte_order_mark_loads(tmp_path):
    (tmp_path / "bom.yaml").write_bytes("\ufeffserving:\n  top_k: 10  # one value for both paths\n".encode("utf-8"))
    flat, why, name = load_config(tmp_path / "bom.yaml")
    assert flat == {"serving.top_k": 10} and why["serving.top_k"] == (2, "one value for both paths")


@pytest.mark.parametrize("source, exc, words", [
    (Path("/no/such/dir/config.yaml"), FileNotFoundError, "not found"),
    (Path("/"), FileNotFoundError, "not found"),           # a folder is not a config file
    (3, TypeError, "a config must be a dict or the path"),
    (["a"], TypeError, "a config must be a dict or the path"),
    ({"rationale": "because"}, ValueError, "must map keys to reasons"),
])
def test_hostile_config_sources(source, exc, words):
    with pytest.raises(exc, match=words): load_config(source)


def nested(depth):
    d = {}
    for _ in range(depth): d = {"a": d}
    return d


def shared_lists(levels=9, width=9):
    x = {"l0": ["x"] * width}
    for i in range(1, levels): x[f"l{i}"] = [x[f"l{i-1}"]] * width
    return x


def self_referencing():
    d = {"a": 1}
    d["me"] = d
    return d


@pytest.mark.parametrize("make, words", [
    (lambda: nested(5000), "nested more than 100 levels deep"),
    (lambda: shared_lists(), "expands to more than 100,000 settings"),
    (self_referencing, "nested more than 100 levels deep"),
], ids=["dict_5000_deep", "dict_alias_bomb", "dict_self_reference"])
def test_hostile_dicts_are_bounded(make, words):
    cfg = make()
    t0 = time.process_time()
    for f in (flatten_config, load_config, lambda c: compare_configs(c, {"a": 1}), check_pipeline_config):
        with pytest.raises(ValueError, match=words): f(cfg)
    assert time.process_time() - t0 < 10


def test_limits_can_be_raised_for_a_large_honest_config():
    cfg = {f"k{i}": i for i in range(1000)}
    with pytest.raises(ValueError, match="more than 10 settings|more than 100 entries"): flatten_config(cfg, max_keys=10)
    assert len(flatten_config(cfg)) == 1000
    assert len(flatten_config(nested(150), max_depth=200)) == 1


# ---------------------------------------------------------------- configs: fuzz
VALID = """model:
  type: nearest_neighbors
  hyperparameters:
    n_neighbors: 47  # tuned in experiment 23
    metric: cosine
serving:
  top_k: 10  # Standardized (was 10 in training, 12 in serving)
  similarity_threshold: 0.237  # precision/recall trade-off
features:
  - purchase_frequency  # 90-day window
  - avg_purchase_value
rationale:
  model.hyperparameters.metric: "cosine beat euclidean on NDCG"
"""
PIECES = ["&a ", "*a", "!!python/object:os.system ", "!!float ", "!!binary ", "[", "]", "{", "}", ": ", "- ", "\t",
          "? ", "#", "'", '"', "\\", "\n", "  ", "2024-13-45", "<<: *a", "!!set ", "%YAML 1.1\n", "---\n", "...\n",
          "\x00", "\ufeff", "\u2028", "\x85", "~", "null", ".inf", "0x", "1e999", "[" * 60, "a: &b [*b]\n"]


@st.composite
def corrupted(draw):
    "VALID text with random insertions, deletions and replacements, as UTF-8 or with raw bytes."
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 12)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(PIECES) | st.text(max_size=8))
        text = text[:i] + piece + text[i:] if op == "insert" else text[:i] + text[j:] if op == "delete" else text[:i] + piece + text[j:]
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        k = draw(st.integers(0, len(data)))
        data = data[:k] + draw(st.binary(min_size=1, max_size=4)) + data[k:]
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(corrupted())
def test_fuzz_load_config_gives_a_config_or_a_named_error(tmp_path, data):
    p = tmp_path / "fuzzed.yaml"
    p.write_bytes(data)
    t0 = time.process_time()
    try:
        flat, why, name = load_config(p)
    except (ValueError, TypeError, FileNotFoundError, OSError) as e:
        assert not type(e).__module__.startswith("yaml"), repr(e)
        assert "fuzzed.yaml" in str(e), f"the error does not name the file: {e!r}"
    else:
        assert isinstance(flat, dict) and set(why) >= set(flat) and name == "fuzzed.yaml"
        assert all(isinstance(k, str) for k in flat)
        compare_configs(p, p)           # a config that loads can be compared with itself
    assert time.process_time() - t0 < 10, "load_config took too long"


# ---------------------------------------------------------------- audit
def checks(report): return {f.check for f in report.findings}


def unreadable(path:Path):
    "Make `path` a .py file that exists but cannot be read (as root, permissions do not stop reading; /proc/self/mem does)."
    if not ROOT_USER:
        path.write_text("x = 1\n"); path.chmod(0)
    elif Path("/proc/self/mem").exists():
        path.symlink_to("/proc/self/mem")
    else:
        pytest.skip("no way to make an unreadable file here")


def test_unreadable_python_file_is_a_finding_and_the_audit_goes_on(tmp_path):
    root = make_legacy_repo(tmp_path / "legacy")
    unreadable(root / "secret.py")
    r = audit_report(root, installed={})
    bad = [f for f in r.findings if f.check == "debt.audit.unreadable"]
    assert [f.subject for f in bad] == ["secret.py"] and bad[0].severity == "error" and "could not be read" in bad[0].message
    assert {"debt.audit.duplicate_function", "debt.audit.readme", "debt.audit.pickle"} <= checks(r)   # the rest was audited
    assert not r.ok


def test_oversized_python_file_is_skipped_quickly_and_said(tmp_path):
    root = make_legacy_repo(tmp_path / "legacy")
    with open(root / "generated.py", "wb") as f: f.truncate(200_000_000)   # 200 MB, sparse on disk
    t0 = time.process_time()
    r = audit_report(root, installed={})
    assert time.process_time() - t0 < 30
    skipped = [f for f in r.findings if f.check == "debt.audit.skipped"]
    assert [f.subject for f in skipped] == ["generated.py"]
    assert "200.0 MB" in skipped[0].message and "max_file_bytes" in skipped[0].message and skipped[0].severity == "error"
    assert "debt.audit.duplicate_function" in checks(r)


def test_file_just_over_the_limit_is_read_when_the_limit_is_raised(tmp_path):
    (tmp_path / "big.py").write_text("S = '" + "a" * 1_100_000 + "'  # one long literal\n")   # 1.1 MB of real Python
    (tmp_path / "README.md").write_text("# x\n\n" + "A readme that says what this is and how to run it. " * 10)
    assert "debt.audit.skipped" in checks(audit_report(tmp_path, installed={}))
    assert "debt.audit.skipped" not in checks(audit_report(tmp_path, installed={}, max_file_bytes=2_000_000))


@pytest.mark.parametrize("name, content, check, severity", [
    ("py2.py", "print 'hello'\n", "debt.audit.syntax", "warning"),
    ("deep.py", "x = " + "(" * 10_000 + ")" * 10_000 + "\n", "debt.audit.syntax", "warning"),
    ("nul.py", "x = 1\x00\n", "debt.audit.syntax", "warning"),
    ("broken.ipynb", "{not json", "debt.audit.notebook", "warning"),
    ("deep.ipynb", "[" * 100_000 + "]" * 100_000, "debt.audit.notebook", "warning"),
    ("list_cells.ipynb", '{"cells": [1, 2, 3]}', "debt.audit.notebook", "warning"),
    ("latin1.py", "X = 'caf\u00e9'\n", None, None),
])
def test_hostile_files_in_the_audited_folder(tmp_path, name, content, check, severity):
    p = tmp_path / name
    if name.startswith("latin1"): p.write_bytes(content.encode("latin-1"))
    else: p.write_text(content)
    r = audit_report(tmp_path, installed={})
    if check is None:
        assert not {"debt.audit.syntax", "debt.audit.unreadable"} & checks(r)
    else:
        found = [f for f in r.findings if f.check == check and f.subject == name]
        assert found and found[0].severity == severity, [str(f) for f in r.findings]


@pytest.mark.parametrize("kw, words", [({"max_file_bytes": 0}, "positive integer"), ({"max_file_bytes": "2MB"}, "positive integer"),
                                       ({"max_file_bytes": True}, "positive integer")])
def test_audit_arguments_are_checked(tmp_path, kw, words):
    with pytest.raises(ValueError, match=words): audit_report(tmp_path, **kw)
    with pytest.raises(ValueError, match=words): audit(tmp_path, **kw)


def test_register_write_to_a_missing_folder_or_a_folder(tmp_path):
    reg = DebtRegister()
    with pytest.raises(FileNotFoundError, match="folder .* does not exist; create it first"): reg.write(tmp_path / "no" / "TECH_DEBT.md")
    with pytest.raises(IsADirectoryError, match="it is a folder"): reg.write(tmp_path)


# ---------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile_cli")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user_id": np.arange(200), "x": rng.normal(size=200)})
    df.to_csv(d / "a.csv", index=False); df.to_csv(d / "b.csv", index=False)
    for name, data, *_ in YAML_FILES: (d / name).write_bytes(data)
    (d / "ok.yaml").write_text("serving:\n  top_k: 10  # one value for both paths\n")
    (d / "afolder.yaml").mkdir()
    os.mkfifo(d / "pipe.csv")          # reading a pipe would wait forever for a writer
    make_legacy_repo(d / "legacy")
    return d


CLI_CASES = [   # (arguments, exit status, words on stderr)
    (["audit", "legacy", "--write", "/no/such/dir/TECH_DEBT.md"], 2, "folder /no/such/dir does not exist"),
    (["audit", "legacy", "--write", "legacy"], 2, "is a folder"),
    (["audit", "a.csv"], 2, "not a folder"),
    (["audit", "nowhere"], 2, "not a folder"),
    (["configs", "bomb.yaml", "ok.yaml"], 2, "alias bomb"),
    (["configs", "bomb.yaml"], 2, "alias bomb"),
    (["configs", "flow_deep.yaml"], 2, "nested too deeply"),
    (["configs", "self_alias.yaml", "ok.yaml"], 2, "nested more than 100 levels"),
    (["configs", "latin1.yaml", "ok.yaml"], 2, "latin1.yaml' is not UTF-8"),
    (["configs", "huge.yaml"], 2, "over the 1,000,000"),
    (["configs", "bad_date.yaml"], 2, "bad_date.yaml"),
    (["configs", "python_tag.yaml"], 2, "could not determine a constructor"),
    (["configs", "empty.yaml", "ok.yaml"], 2, "is empty"),
    (["configs", "twice.yaml", "ok.yaml"], 2, "written twice"),
    (["configs", "afolder.yaml"], 2, "no such file"),
    (["configs", "a.yaml", "b.yaml", "c.yaml"], 2, "give one pipeline config, or two"),
    (["drift", "a.csv", "b.csv", "--threshold", "ks=nan"], 2, "must be a finite number"),
    (["drift", "a.csv", "b.csv", "--threshold", "psi=inf"], 2, "must be a finite number"),
    (["drift", "a.csv", "b.csv", "--threshold", "ks=1.5"], 2, "between 0 and 1"),
    (["drift", "a.csv", "b.csv", "--threshold", "ks=0"], 2, "between 0 and 1"),
    (["drift", "a.csv", "b.csv", "--threshold", "wasserstein=-0.1"], 2, "0 or more"),
    (["drift", "a.csv", "b.csv", "--threshold", "ks=lots"], 2, "expected METHOD=NUMBER"),
    (["drift", "a.csv", "b.csv", "--threshold", "nosuch=0.1"], 2, "unknown threshold"),
    (["parity", "a.csv", "b.csv", "--key", ","], 2, "`--key` is empty"),
    (["parity", "pipe.csv", "b.csv", "--key", "user_id"], 2, "pipe.csv: not a regular file"),
    (["drift", "a.csv", "pipe.csv"], 2, "pipe.csv: not a regular file"),
    (["parity", "a.csv", "b.csv", "--key", "user_id,user_id"], 2, "names a column twice"),
    (["parity", "a.csv", "b.csv", "--key", "customer_id"], 2, "column(s) ['customer_id'] missing from a.csv"),
]


@pytest.mark.parametrize("args, status, words", CLI_CASES, ids=[" ".join(c[0])[:60] for c in CLI_CASES])
def test_cli_hostile_input(cli_files, args, status, words):
    assert EXE.exists(), f"console script missing: {EXE}"
    r = run(*args, cwd=cli_files)
    assert r.returncode == status, (r.returncode, r.stdout[-500:], r.stderr[-500:])
    assert words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr


def test_cli_audit_of_a_folder_with_an_unreadable_file_reports_it(tmp_path):
    root = make_legacy_repo(tmp_path / "legacy")
    unreadable(root / "secret.py")
    r = run("audit", root, "--write", tmp_path / "TECH_DEBT.md")
    assert r.returncode == 1, r.stderr
    assert "debt.audit.unreadable" in r.stdout and "secret.py" in r.stdout and "Traceback" not in r.stderr
    assert "secret.py" in (tmp_path / "TECH_DEBT.md").read_text()
