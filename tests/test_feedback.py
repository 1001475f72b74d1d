"""check_feedback_loop and loop_slope: trends across retrains, against a control, and the inputs they refuse."""
import numpy as np
import pandas as pd
import pytest
from mlparity.feedback import check_feedback_loop, loop_slope, FeedbackReport


def history(gini_slope=0.0, coverage_slope=0.0, n=9, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    r = np.arange(n)
    return pd.DataFrame({"retrain": r, "gini": 0.8 + gini_slope * r + noise * rng.standard_normal(n),
                         "coverage": 0.5 + coverage_slope * r + noise * rng.standard_normal(n)})


@pytest.mark.parametrize("slope", [-0.02, 0.0, 0.004, 0.1])
def test_slope_of_a_line_is_exact(slope):
    s, se = loop_slope(history(gini_slope=slope), "gini")
    assert s == pytest.approx(slope, abs=1e-12) and se == pytest.approx(0.0, abs=1e-9)


def test_slope_matches_numpy_polyfit():
    h = history(0.01, noise=0.02, seed=3)
    assert loop_slope(h, "gini")[0] == pytest.approx(np.polyfit(h.retrain, h.gini, 1)[0])


def test_slope_ignores_row_order():
    h = history(0.01, noise=0.02, seed=4)
    assert loop_slope(h.sample(frac=1, random_state=0), "gini")[0] == pytest.approx(loop_slope(h, "gini")[0])


def test_rising_gini_and_falling_coverage_fail():
    rep = check_feedback_loop(history(0.01, -0.02))
    assert isinstance(rep, FeedbackReport) and not rep.ok
    assert rep.failing == ["gini", "coverage"] == rep.looping
    assert all(f.check == "feedback.trend" and f.category == "feedback_loops" for f in rep.findings)


def test_stable_history_passes_with_info_findings():
    rep = check_feedback_loop(history(0.001, -0.001))
    assert rep.ok and [f.severity for f in rep.findings] == ["info", "info"]
    assert set(rep.trend["status"]) == {"ok"}


def test_falling_gini_is_not_a_loop():
    assert check_feedback_loop(history(-0.05, 0.05)).ok


def test_control_removes_a_shared_trend():
    drift = history(0.01, -0.02)
    assert not check_feedback_loop(drift).ok
    assert check_feedback_loop(drift, control=drift).ok
    rep = check_feedback_loop(history(0.02, -0.02), control=drift)
    assert rep.failing == ["gini"]
    assert rep.trend.set_index("metric").loc["gini", "excess"] == pytest.approx(0.01)


def test_noise_gives_a_warning_not_an_error():
    h = history(0.0).assign(gini=[0.8, 0.95, 0.78, 0.97, 0.8, 0.96, 0.79, 0.98, 0.85])
    rep = check_feedback_loop(h, limits={"gini": 0.003})
    assert rep.ok and [f.severity for f in rep.findings] == ["warning"]
    assert check_feedback_loop(h, limits={"gini": 0.003}, min_t=0).failing == ["gini"]


def test_custom_limits_and_column_names():
    h = history(0.01).rename(columns={"retrain": "week"}).assign(novelty=lambda d: 1 - 0.01 * d.week)
    rep = check_feedback_loop(h, limits={"novelty": -0.005}, by="week")
    assert rep.failing == ["novelty"] and list(rep.trend["metric"]) == ["novelty"]


def test_report_renders_and_serialises():
    rep = check_feedback_loop(history(0.01, -0.02), title="loop")
    assert "FAILED" in str(rep) and "feedback.trend" in rep._repr_html_()
    d = rep.to_dict()
    assert d["findings"][0]["evidence"]["status"] == "loop" and "trend" in d["tables"]


@pytest.mark.parametrize("bad, kwargs, exc, msg", [
    (history().drop(columns="gini"), {}, KeyError, "column(s) ['gini'] missing from `history`"),
    (history(n=2), {}, ValueError, "at least 3 distinct values of 'retrain'"),
    (history().assign(retrain=0), {}, ValueError, "at least 3 distinct values"),
    (history().assign(gini=np.nan), {}, ValueError, "missing or infinite"),
    (history().assign(gini=np.inf), {}, ValueError, "missing or infinite"),
    (history().assign(gini="x"), {}, TypeError, "must be numeric"),
    (history().assign(retrain=True), {}, TypeError, "must be numeric"),
    (history(), {"limits": {"gini": 0}}, ValueError, "non-zero finite number"),
    (history(), {"limits": {"gini": np.nan}}, ValueError, "non-zero finite number"),
    (history(), {"limits": {"gini": True}}, ValueError, "non-zero finite number"),
    (history(), {"limits": {}}, TypeError, "non-empty dict"),
    (history(), {"min_t": -1}, ValueError, "`min_t` must be a finite number >= 0"),
    (history(), {"control": history().drop(columns="coverage")}, KeyError, "missing from `history`"),
    ([1, 2, 3], {}, TypeError, "`history` must be a pandas DataFrame"),
])
def test_bad_input_is_refused(bad, kwargs, exc, msg):
    with pytest.raises(exc, match=None) as e:
        check_feedback_loop(bad, **kwargs)
    assert msg in str(e.value)
