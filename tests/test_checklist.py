"""production_checklist: evidence ticks items, people tick the rest, and nothing is ticked without either."""
import numpy as np
import pandas as pd
import pytest
from mlparity.core import Finding, Report
from mlparity.checklist import production_checklist, ChecklistReport

OK, BAD = Report([], title="ok"), Report([Finding("parity.values", "purchase_frequency", "differs")], title="bad")
EVIDENCE = dict(model_metrics={"ndcg_at_k": 0.24, "gini": 0.93}, baseline_metrics={"ndcg_at_k": 0.15, "gini": 0.98},
                validation_metrics={"ndcg_at_k": 0.25}, parity=OK, drift=OK, fallback=lambda x: x, feedback=OK)
MANUAL = ["ab_plan", "rollback", "accuracy_daily", "review_errors", "retrain", "docs", "business"]


def test_nothing_given_nothing_checked():
    rep = production_checklist()
    assert isinstance(rep, ChecklistReport) and not rep.ok
    assert len(rep.checklist) == 14 and not rep.checklist["checked"].any()
    assert len(rep.findings) == 14


def test_all_evidence_and_all_ticks_give_a_clean_report():
    rep = production_checklist(**EVIDENCE, manual={k: True for k in MANUAL})
    assert rep.ok and len(rep.findings) == 0 and rep.checklist["checked"].all()


def test_manual_items_are_warnings_until_ticked():
    rep = production_checklist(**EVIDENCE)
    assert rep.ok and sorted(f.subject for f in rep.warnings) == sorted(MANUAL)
    assert all(f.check == f"checklist.{f.subject}" for f in rep.findings)


@pytest.mark.parametrize("item, change", [
    ("parity", {"parity": BAD}), ("parity", {"parity": None}),
    ("drift_weekly", {"drift": BAD}), ("fallback", {"fallback": None}),
    ("held_out_test", {"validation_metrics": None}),
    ("baseline", {"baseline_metrics": {"ndcg_at_k": 0.3, "gini": 0.98}}),
    ("baseline", {"baseline_metrics": {"ndcg_at_k": 0.1, "gini": 0.90}}),
    ("baseline", {"baseline_metrics": {"precision_at_k": 0.01}}),
    ("feedback", {"feedback": BAD}),
])
def test_each_failing_evidence_fails_its_item(item, change):
    rep = production_checklist(**{**EVIDENCE, **change}, manual={k: True for k in MANUAL})
    assert item in rep.failing and not rep.ok


def test_failing_report_is_named_in_the_finding():
    rep = production_checklist(parity=BAD)
    msg = next(f.message for f in rep.findings if f.subject == "parity")
    assert "purchase_frequency" in msg and "FAILED" in msg


def test_no_drift_report_means_no_monitoring():
    rep = production_checklist(**{**EVIDENCE, "drift": None}, manual={k: True for k in MANUAL})
    assert rep.failing == ["monitoring", "drift_weekly"]


def test_missing_feedback_report_is_only_a_warning():
    rep = production_checklist(**{**EVIDENCE, "feedback": None}, manual={k: True for k in MANUAL})
    assert rep.ok and [f.subject for f in rep.warnings] == ["feedback"]


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"model_metrics": [0.2]}, TypeError, "`model_metrics` must be a non-empty dict"),
    ({"baseline_metrics": {}}, TypeError, "`baseline_metrics` must be a non-empty dict"),
    ({"validation_metrics": {"ndcg": np.inf}}, ValueError, "non-numeric or non-finite values for ['ndcg']"),
    ({"model_metrics": {"ndcg": True}}, ValueError, "non-numeric or non-finite"),
    ({"parity": pd.DataFrame()}, TypeError, "`parity` must be a Report"),
    ({"drift": "ok"}, TypeError, "`drift` must be a Report"),
    ({"feedback": {}}, TypeError, "`feedback` must be a Report"),
    ({"fallback": "bestsellers"}, TypeError, "`fallback` must be callable"),
    ({"manual": {"parity": True}}, ValueError, "['parity'] are ticked by evidence"),
    ({"manual": {"deploy_friday": True}}, ValueError, "can only tick the manual items"),
])
def test_bad_input_is_refused(kwargs, exc, msg):
    with pytest.raises(exc) as e:
        production_checklist(**kwargs)
    assert msg in str(e.value)
