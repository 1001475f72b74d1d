"""Hostile input to `drift_report`, `monitor` and `mlparity drift`: each gets a clear error naming the problem (or a
finding), never a silent "no drift" and never a traceback from inside numpy, pandas or scipy."""
import math

import numpy as np
import pandas as pd
import pytest

from mlparity.drift import drift_report, DriftReport
from mlparity.monitor import monitor
from mlparity.profile import Profile
from mlparity.cli import main

REF = pd.DataFrame({"x": np.arange(200.0), "c": ["a", "b"] * 100})
CUR = REF.assign(x=REF.x + 60)

# (what, kwargs, exception type, words the message must hold)
THRESHOLDS = [
    ("NaN p-value threshold", {"ks": float("nan")}, ValueError, "threshold 'ks' must be a finite number, a p-value threshold, in (0, 1)"),
    ("NaN distance threshold", {"wasserstein": float("nan")}, ValueError, "threshold 'wasserstein' must be a finite number"),
    ("infinite threshold", {"psi": math.inf}, ValueError, "threshold 'psi' must be a finite number"),
    ("text threshold", {"ks": "0.05"}, TypeError, "threshold 'ks' must be a number, got str '0.05'"),
    ("None threshold", {"chi2": None}, TypeError, "threshold 'chi2' must be a number, got NoneType"),
    ("bool threshold", {"z": True}, TypeError, "threshold 'z' must be a number, got bool"),
    ("p-value threshold of 1", {"ks": 1.0}, ValueError, "a p-value threshold, in (0, 1)"),
    ("p-value threshold of 0", {"z": 0}, ValueError, "a p-value threshold, in (0, 1)"),
    ("negative p-value threshold", {"chi2": -0.05}, ValueError, "a p-value threshold, in (0, 1)"),
    ("p-value threshold above 1", {"ks": 5}, ValueError, "a p-value threshold, in (0, 1)"),
    ("distance threshold 0", {"wasserstein": 0.0}, ValueError, "in (0, inf)"),
    ("negative distance threshold", {"psi": -0.1}, ValueError, "in (0, inf)"),
    ("JS threshold above 1 (never crossed)", {"js": 1.5}, ValueError, "in (0, 1]"),
    ("missing-rate threshold above 1", {"missing": 2}, ValueError, "in (0, 1]"),
    ("unknown threshold", {"kss": 0.05}, ValueError, "unknown threshold(s) ['kss']"),
    ("thresholds not a dict", [("ks", 0.05)], TypeError, "thresholds must be a dict"),
    ("numpy NaN", {"ks": np.float64("nan")}, ValueError, "must be a finite number"),
]


@pytest.mark.parametrize("what,thr,exc,words", THRESHOLDS, ids=[t[0] for t in THRESHOLDS])
def test_bad_thresholds_are_refused(what, thr, exc, words):
    with pytest.raises(exc) as e: drift_report(REF, CUR, thresholds=thr)
    assert words in str(e.value)
    with pytest.raises(exc) as e: monitor(REF, {"day 1": CUR}, thresholds=thr)
    assert words in str(e.value)


@pytest.mark.parametrize("thr", [{"ks": 1e-300}, {"ks": 0.999}, {"js": 1.0}, {"missing": 1}, {"wasserstein": 1e9},
                                 {"psi": np.float32(0.2)}, {"chi2": np.float64(0.01)}])
def test_good_thresholds_are_accepted_as_numbers(thr):
    t = drift_report(REF, CUR, thresholds=thr, method=["ks", "wasserstein", "psi", "js"], columns=["x"]).table
    m, v = next(iter(thr.items()))
    if m in set(t.method): assert t.loc[t.method == m, "threshold"].iloc[0] == float(v)


def test_a_valid_threshold_still_decides():
    "A strict threshold changes the verdict, a loose one too: the number is used, not ignored."
    ref = pd.DataFrame({"x": np.random.default_rng(0).normal(0, 1, 3000)})
    cur = ref.assign(x=ref.x + 0.15)
    assert drift_report(ref, cur, thresholds={"wasserstein": 0.1}).drifted == ["x"]
    assert drift_report(ref, cur, thresholds={"wasserstein": 0.5}).drifted == []


@pytest.mark.parametrize("alpha,words", [(float("nan"), "got nan"), ("0.01", "got '0.01'"), (0, "got 0"), (1, "got 1"),
                                         (True, "got True"), (-1, "got -1")])
def test_bad_monitor_alpha(alpha, words):
    with pytest.raises(ValueError, match="`alpha` must be in \\(0, 1\\) or None") as e:
        monitor(REF, {"d": CUR}, alpha=alpha)
    assert words in str(e.value)


MONITOR = [
    ("no batches", {}, {}, ValueError, "`batches` is empty"),
    ("a batch that is not a frame", {"x": [1, 2]}, {}, TypeError, "batch 'x' is a list"),
    ("a watched column missing from the reference", {"d": CUR}, {"columns": ["x", "nope"]}, KeyError,
     "monitor: column(s) ['nope'] missing from reference"),
    ("a column missing from a batch", {"d": CUR[["x"]]}, {}, KeyError, "['c'] missing from current"),
    ("an effect method that is unknown", {"d": CUR}, {"method": "wass"}, ValueError, "unknown drift method"),
]


@pytest.mark.parametrize("what,batches,kw,exc,words", MONITOR, ids=[m[0] for m in MONITOR])
def test_monitor_bad_input(what, batches, kw, exc, words):
    with pytest.raises(exc) as e: monitor(REF, batches, **kw)
    assert words in str(e.value)


DRIFT = [
    ("reference is a list", [1, 2], CUR, {}, TypeError, "reference must be a DataFrame or a Profile, got list"),
    ("current is None", REF, None, {}, TypeError, "current must be a DataFrame or a Profile, got NoneType"),
    ("method is a number", REF, CUR, {"method": 3}, TypeError, "method must be 'auto', one of"),
    ("a method list holding a number", REF, CUR, {"method": ["ks", 1]}, ValueError, "unknown drift method(s) [1]"),
    ("empty method list", REF, CUR, {"method": []}, ValueError, "unknown drift method"),
    ("complex column", REF.assign(x=REF.x + 1j), CUR, {}, TypeError, "drift is measured on real numbers"),
    ("timedelta column", REF.assign(x=pd.to_timedelta(REF.x, "s")), CUR, {}, TypeError, "convert it to a number"),
    ("tz-aware datetime column", REF.assign(x=pd.Timestamp("2024-01-01", tz="UTC")), CUR, {}, TypeError, "convert it to a number"),
    ("-inf in current", REF, CUR.assign(x=-np.inf), {}, ValueError, "column 'x' of current holds 200 infinite value(s)"),
    ("sketch below the minimum", REF, CUR, {"sketch": 8}, ValueError, "sketch must be None"),
    ("a column missing from a reference profile", Profile.from_frame(REF[["x"]]), CUR, {"columns": ["x", "c"]}, KeyError,
     "['c'] missing from the reference profile"),
    ("profiles of different kinds", Profile.from_frame(REF), Profile.from_frame(CUR.assign(c=1.0)), {}, TypeError,
     "'c' is categorical in reference but numeric in current"),
]


@pytest.mark.parametrize("what,ref,cur,kw,exc,words", DRIFT, ids=[d[0] for d in DRIFT])
def test_drift_report_bad_input(what, ref, cur, kw, exc, words):
    with pytest.raises(exc) as e: drift_report(ref, cur, **kw)
    if words: assert words in str(e.value)
    assert "Traceback" not in str(e.value)


def test_object_column_of_ints_stays_categorical():
    "The classifier maps from the ground floor's kinds with the dtype: an object column of ints is labels, not numbers."
    ref = pd.DataFrame({"code": pd.Series([1, 2, 3] * 100, dtype=object)})
    rep = drift_report(ref, ref)
    assert rep.reference.columns["code"].kind == "categorical" and rep.ok
    assert drift_report(ref.astype("int64"), ref.astype("int64")).reference.columns["code"].kind == "numeric"


def test_cli_refuses_a_nan_threshold(tmp_path, capsys):
    REF.to_csv(tmp_path / "ref.csv", index=False); CUR.to_csv(tmp_path / "cur.csv", index=False)
    assert main(["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--threshold", "ks=nan"]) == 2
    err = capsys.readouterr().err
    assert "ks" in err and "must be a finite number" in err, err   # the CLI refuses it before drift_report would
    assert main(["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"), "--threshold", "wasserstein=inf"]) == 2


def test_failing_is_drifted_and_reports_are_complete():
    rep = drift_report(REF, CUR, figures=True)
    assert isinstance(rep, DriftReport) and rep.failing == rep.drifted == ["x"]
    assert list(rep.plots) == ["x"]
    assert {f.check.split(".")[0] for f in rep.findings} == {"drift"}


# ------------------------------------------------------------------ method="auto" against Evidently's documented rule

def evidently_rule(n_unique, n_reference, numeric=True):
    "Evidently's default test for a column (docs, 'data drift algorithm'): by type, distinct values and reference rows."
    if n_unique <= 2: return "z"
    if not numeric or n_unique <= 5: return "chi2" if n_reference <= 1000 else "js"
    return "ks" if n_reference <= 1000 else "wasserstein"


@pytest.mark.parametrize("n_unique", [2, 3, 4, 5, 6, 7, 20, 21, 200])
@pytest.mark.parametrize("n", [40, 999, 1000, 1001, 20_000])
@pytest.mark.parametrize("sketch", [None, 64])
def test_auto_follows_evidentlys_rule(n_unique, n, sketch):
    rng = np.random.default_rng(n_unique * n)
    vals = np.arange(n) % n_unique
    ref = pd.DataFrame({"x": vals.astype(float), "c": (vals % min(n_unique, 6)).astype(str)})
    cur = pd.DataFrame({"x": rng.permutation(vals).astype(float), "c": ref["c"]})
    t = drift_report(ref, cur, sketch=sketch).table.set_index("column")["method"]
    assert t["x"] == evidently_rule(n_unique, n), (n_unique, n, t["x"])
    assert t["c"] == evidently_rule(min(n_unique, 6), n, numeric=False)


def test_auto_on_few_values_counts_each_value():
    "A numeric column of 4 values: chi-square (or JS) on the count of each value, as on the same values as text."
    from scipy import stats
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"stars": rng.choice([1, 2, 3, 4], 800, p=[.1, .2, .3, .4])})
    cur = pd.DataFrame({"stars": rng.choice([1, 2, 3, 4], 600, p=[.2, .2, .3, .3])})
    t = drift_report(ref, cur).table.iloc[0]
    as_text = drift_report(ref.astype(str), cur.astype(str)).table.iloc[0]
    table = np.array([np.bincount(ref.stars, minlength=5)[1:], np.bincount(cur.stars, minlength=5)[1:]])
    chi2, p = stats.chi2_contingency(table, correction=False)[:2]
    assert t["method"] == as_text["method"] == "chi2"
    assert t["statistic"] == pytest.approx(chi2, rel=1e-12) and t["p_value"] == pytest.approx(p, rel=1e-9)
    assert t["statistic"] == pytest.approx(as_text["statistic"], rel=1e-12) and bool(t["drifted"])
    big = drift_report(pd.concat([ref] * 3), pd.concat([cur] * 3)).table.iloc[0]
    big_text = drift_report(pd.concat([ref] * 3).astype(str), pd.concat([cur] * 3).astype(str)).table.iloc[0]
    assert big["method"] == "js" and big["statistic"] == pytest.approx(big_text["statistic"], rel=1e-12)
    # explicit methods keep their meaning: psi/js on deciles, and chi2 is for categories only
    assert drift_report(ref, cur, method="js").table["method"].tolist() == ["js"]
    with pytest.raises(ValueError, match="method 'chi2' does not apply to numeric column 'stars'"):
        drift_report(ref, cur, method="chi2")
