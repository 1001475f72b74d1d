"""The debt register round-trips through Markdown, and the audit finds planted defects and nothing else."""
import subprocess
from pathlib import Path
import pytest
from hypothesis import given, settings, strategies as st
from mlparity.core import Finding, Report
from mlparity.debt import (DebtItem, DebtRegister, CATEGORY_TITLES, SEVERITY_LEVELS, audit, audit_report,
                           check_magic_numbers, check_stale_pins)
from mlparity.legacy import make_legacy_repo, make_clean_repo, novatech_register

PROD = {"pandas": "2.2.3", "scikit-learn": "1.5.2", "numpy": "2.1.3", "flask": "3.0.3"}
PLANTED = {"debt.audit.versioned_copies", "debt.audit.duplicate_function", "debt.audit.pickle", "debt.audit.data_in_repo", "debt.audit.stale_pin",
           "debt.audit.magic_number", "debt.audit.no_tests", "debt.audit.print", "debt.audit.catch_all_module", "debt.audit.readme", "debt.audit.notebook"}


def checks(report): return {f.check for f in report.findings}


def test_legacy_fixture_every_planted_defect_found(tmp_path):
    r = audit_report(make_legacy_repo(tmp_path / "legacy"), installed=PROD)
    assert checks(r) == PLANTED
    subjects = {f.subject for f in r.findings}
    assert {"model.pkl", "features.py:4", "predict.py:4", "requirements.txt:1", "utils.py"} <= subjects


def test_clean_fixture_has_no_finding(tmp_path):
    r = audit_report(make_clean_repo(tmp_path / "clean"), installed=PROD)
    assert r.findings == [], [str(f) for f in r.findings]


@pytest.mark.parametrize("fix, gone", [
    (lambda p: (p / "model.pkl").unlink(), "debt.audit.pickle"),
    (lambda p: [(p / n).unlink() for n in ("train_v1.py", "train_v2_new_FIXED.py", "predict_fast.py", "features_v2.py", "notebooks/exploration_copy.ipynb")], "debt.audit.versioned_copies"),
    (lambda p: ((p / "tests").mkdir(), (p / "tests" / "test_x.py").write_text("def test_x():\n    assert True\n")), "debt.audit.no_tests"),
    (lambda p: (p / "README.md").write_text("# engine\n\n" + "Recommends products from purchase histories. " * 10), "debt.audit.readme"),
    (lambda p: (p / "requirements.txt").write_text("pandas>=2.1\n"), "debt.audit.stale_pin"),
    (lambda p: (p / "utils.py").write_text("def helper(x):\n    return x\n"), "debt.audit.catch_all_module"),
])
def test_fixing_a_defect_removes_its_finding(tmp_path, fix, gone):
    root = make_legacy_repo(tmp_path / "legacy")
    assert gone in checks(audit_report(root, installed=PROD))
    fix(root)
    assert gone not in checks(audit_report(root, installed=PROD))


def test_git_checkout_audits_tracked_files_only(tmp_path):
    root = make_legacy_repo(tmp_path / "legacy")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "features.py", "README.md"], check=True)
    r = audit_report(root, installed=PROD)
    assert "debt.audit.pickle" not in checks(r) and "debt.audit.duplicate_function" not in checks(r)
    assert "debt.audit.readme" in checks(r)


def test_magic_number_rationale_rules(tmp_path):
    (tmp_path / "m.py").write_text("A = 47  # Why 47?\nB = 48  # tuned in experiment 23\n# ten items per page\nC = 10\nD = 1\nE = 0.237\n"
                                   "f(n_neighbors=5)  # TODO explain\n")
    found = {f.evidence["name"] for f in check_magic_numbers([tmp_path / "m.py"], tmp_path)}
    assert found == {"A", "E", "n_neighbors"}


@pytest.mark.parametrize("pinned, installed, stale", [("1.5.3", "1.6.0", False), ("1.5.3", "1.7.0", True),
                                                      ("1.5.3", "2.0.0", True), ("2.2.0", "2.2.3", False)])
def test_stale_pin_threshold(tmp_path, pinned, installed, stale):
    (tmp_path / "requirements.txt").write_text(f"pandas=={pinned}\n")
    assert bool(check_stale_pins([tmp_path / "requirements.txt"], tmp_path, installed={"pandas": installed})) is stale


def test_audit_bad_path(tmp_path):
    with pytest.raises(NotADirectoryError, match="audit needs a folder"): audit(tmp_path / "nope")


text = st.text(st.characters(blacklist_characters="|\n\r", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).map(str.strip).filter(bool)
item_st = st.builds(lambda cat, n, d, sev, comps, mit, status, title: DebtItem(f"{CATEGORY_TITLES[cat][0]}-{n:03d}", d, sev, comps, mit, status, cat, title),
                    st.sampled_from(list(CATEGORY_TITLES)), st.integers(1, 999), text, st.sampled_from(SEVERITY_LEVELS),
                    st.lists(text.filter(lambda s: ", " not in s and not s.startswith(",") and not s.endswith(",")), max_size=3),
                    text | st.just(""), st.sampled_from(["Open", "Mitigated (ongoing)", "Resolved"]),
                    (text.filter(lambda s: '"' not in s and "<" not in s)) | st.just(""))


@settings(max_examples=60, deadline=None)
@given(st.lists(item_st, max_size=8, unique_by=lambda i: i.id), st.data())
def test_register_markdown_round_trip(items, data):
    reg = DebtRegister(items)
    if len(items) >= 2:
        a, b = data.draw(st.sampled_from(items)), data.draw(st.sampled_from(items))
        reg.link(a.id, b.id, data.draw(st.sampled_from(["", "feeds"])))
    back = DebtRegister.from_markdown(reg.to_markdown())
    assert back == reg
    assert back.to_markdown() == reg.to_markdown()
    assert back.dashboard().equals(reg.dashboard())


def test_register_errors():
    with pytest.raises(ValueError, match="needs 6 cells"):
        DebtRegister.from_markdown("## Debt Categories\n### Code-Level Debt\n| CL-001 | only two |\n")
    with pytest.raises(ValueError, match="not in the tables"):
        DebtRegister.from_markdown("## Debt Dependency Map\n```mermaid\ngraph TD\n    CL001 --> CL002\n```\n")
    with pytest.raises(FileNotFoundError, match="no debt register"): DebtRegister.read("/nonexistent/TECH_DEBT.md")


def test_findings_become_items():
    reg = novatech_register()
    rep = Report([Finding("parity.values", "purchase_frequency", "3x", category="data_dependencies"),
                  Finding("x", "y", "just info", severity="info")])
    added = reg.add_report(rep)
    assert [i.id for i in added] == ["DD-003"] and added[0].severity == "High"


def test_duplicate_functions_in_scripts_are_not_flagged(tmp_path):
    "Two benchmark scripts may each define a timing helper; two importable modules may not."
    from mlparity.debt import check_duplicate_functions
    for d, body in (("benchmarks", "return 1"), ("benchmarks2", "return 2")):
        (tmp_path / d).mkdir()
    (tmp_path / "benchmarks" / "bench_a.py").write_text("def best_of(f):\n    return 1\n\nif __name__ == '__main__':\n    best_of(1)\n")
    (tmp_path / "benchmarks" / "bench_b.py").write_text("def best_of(f):\n    return 2\n")
    (tmp_path / "lib_a.py").write_text("def features(x):\n    return x / 30\n")
    (tmp_path / "lib_b.py").write_text("def features(x):\n    return x / 90\n")
    found = check_duplicate_functions(sorted(tmp_path.rglob("*.py")), tmp_path)
    assert [f.evidence["function"] for f in found] == ["features"]
