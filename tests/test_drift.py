"""mlparity.drift: statistics against scipy (Hypothesis: sizes, ties, NaN), profile merge and save, bad input."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlparity.drift import (Profile, drift_report, ks_2samp_sorted, wasserstein_sorted, psi, js_distance,
                            chi2_cramers_v, two_proportion_z, DriftReport, TABLE_COLUMNS, THRESHOLDS)

SETTINGS = dict(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw, max_size=300):
    "Two float samples of any sizes >= 1, often with ties (values on a coarse grid) and sometimes with NaN."
    n1, n2 = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shift = draw(st.floats(-1, 1))
    grid = draw(st.sampled_from([None, 1.0, 0.5, 0.1]))          # None: continuous; else rounded: ties
    a, b = rng.normal(0, 1, n1), rng.normal(shift, 1 + draw(st.floats(0, 1)), n2)
    if grid is not None: a, b = np.round(a / grid) * grid, np.round(b / grid) * grid
    nan_rate = draw(st.sampled_from([0.0, 0.0, 0.2]))
    a[rng.random(n1) < nan_rate] = np.nan
    b[rng.random(n2) < nan_rate] = np.nan
    return a, b


def _clean(x): return x[~np.isnan(x)]


@settings(**SETTINGS)
@given(samples())
def test_ks_matches_scipy(ab):
    a, b = map(_clean, ab)
    if len(a) == 0 or len(b) == 0: return
    d, p = ks_2samp_sorted(np.sort(a), np.sort(b))
    ref = stats.ks_2samp(a, b)
    assert abs(d - ref.statistic) <= 1e-12 and abs(p - ref.pvalue) <= 1e-12, (d, ref.statistic, p, ref.pvalue)


@settings(**SETTINGS)
@given(samples())
def test_report_ks_and_wasserstein_match_scipy_with_nan(ab):
    "Through `drift_report`: NaN are reported as missing and the statistics are scipy's on the rest."
    a, b = ab
    ca, cb = _clean(a), _clean(b)
    if len(ca) == 0 or len(cb) == 0: return
    t = drift_report(pd.DataFrame({"x": a}), pd.DataFrame({"x": b}), method=["ks", "wasserstein"]).table.set_index("method")
    ks = stats.ks_2samp(ca, cb)
    assert abs(t.loc["ks", "statistic"] - ks.statistic) <= 1e-12
    assert abs(t.loc["ks", "p_value"] - ks.pvalue) <= 1e-12
    w, sd = stats.wasserstein_distance(ca, cb), np.std(ca)
    got = t.loc["wasserstein", "statistic"]
    if sd > 0: assert abs(got - w / sd) <= 1e-12 * max(1.0, w / sd)
    else: assert got == (0.0 if w == 0 else math.inf)
    has_nan = np.isnan(a).any() or np.isnan(b).any()
    assert ("missing" in t.index) == has_nan
    if has_nan:
        assert t.loc["missing", "statistic"] == pytest.approx(np.isnan(b).mean() - np.isnan(a).mean(), abs=1e-15)


@settings(**SETTINGS)
@given(samples())
def test_wasserstein_matches_scipy(ab):
    a, b = map(_clean, ab)
    if len(a) == 0 or len(b) == 0: return
    w = wasserstein_sorted(np.sort(a), np.sort(b))
    ref = stats.wasserstein_distance(a, b)
    assert abs(w - ref) <= 1e-12 * max(1.0, ref)


@pytest.mark.parametrize("n1,n2", [(10_000, 10_000), (10_001, 9_000), (12_000, 30_000), (1, 20_000)])
def test_ks_exact_asymp_boundary(n1, n2):
    "scipy's auto rule switches from exact to asymptotic above 10,000 values; ties included."
    rng = np.random.default_rng(n1 + n2)
    a, b = np.round(rng.normal(0, 1, n1), 2), np.round(rng.normal(0.03, 1, n2), 2)
    d, p = ks_2samp_sorted(np.sort(a), np.sort(b))
    ref = stats.ks_2samp(a, b)
    assert d == ref.statistic
    m, n = max(n1, n2), min(n1, n2)
    N = round(m * n / (m + n))
    if max(n1, n2) <= 10000 or N < 1000 or N * d * d < 2.2: assert abs(p - ref.pvalue) <= 1e-12   # scipy's own formula
    else: assert abs(p - ref.pvalue) <= max(1e-6, 1e-3 * ref.pvalue)                            # the asymptotic one


def _brute_bins(a, b, bins=10):
    "PSI and JS by a brute-force route: np.quantile edges, np.histogram-like counting with explicit comparisons."
    edges = np.unique(np.quantile(a, np.arange(1, bins) / bins))
    full = np.concatenate([[-np.inf], edges, [np.inf]])
    count = lambda x: np.array([np.sum((x > lo) & (x <= hi)) for lo, hi in zip(full[:-1], full[1:])])
    p, q = count(a) / len(a), count(b) / len(b)
    pe, qe = np.where(p == 0, 1e-4, p), np.where(q == 0, 1e-4, q)
    return float(np.sum((qe - pe) * np.log(qe / pe))), float(jensenshannon(p, q, base=2))


@settings(**SETTINGS)
@given(samples(max_size=200))
def test_psi_js_against_brute_force(ab):
    a, b = map(_clean, ab)
    if len(a) == 0 or len(b) == 0: return
    t = drift_report(pd.DataFrame({"x": a}), pd.DataFrame({"x": b}), method=["psi", "js"]).table.set_index("method")
    want_psi, want_js = _brute_bins(a, b)
    assert t.loc["psi", "statistic"] == pytest.approx(want_psi, rel=1e-9, abs=1e-12)
    assert t.loc["js", "statistic"] == pytest.approx(want_js, rel=1e-9, abs=1e-12)


@settings(**SETTINGS)
@given(st.lists(st.integers(0, 60), min_size=2, max_size=6), st.lists(st.integers(0, 60), min_size=2, max_size=6))
def test_chi2_matches_scipy(r, c):
    k = min(len(r), len(c)); r, c = r[:k], c[:k]
    if sum(r) == 0 or sum(c) == 0: return
    chi2, p, v = chi2_cramers_v(r, c)
    t = np.array([r, c], float); t = t[:, t.sum(0) > 0]
    if t.shape[1] < 2: assert (chi2, p, v) == (0.0, 1.0, 0.0); return
    ref = stats.chi2_contingency(t, correction=False)
    assert chi2 == pytest.approx(ref[0], rel=1e-12, abs=1e-12) and p == pytest.approx(ref[1], rel=1e-12, abs=1e-15)
    assert v == pytest.approx(math.sqrt(ref[0] / t.sum()), rel=1e-12, abs=1e-12)
    if t.shape[1] == 2:      # the two-proportion z-test is the square root of the 2 x 2 chi-square
        z, pz = two_proportion_z(int(t[0, 1]), int(t[0].sum()), int(t[1, 1]), int(t[1].sum()))
        assert z**2 == pytest.approx(chi2, rel=1e-9, abs=1e-12) and pz == pytest.approx(p, rel=1e-9, abs=1e-15)


def _frame(rng, n, shift=0.0):
    return pd.DataFrame({
        "age": np.where(rng.random(n) < 0.05, np.nan, np.round(rng.normal(35 + shift, 10, n), 1)),
        "score": rng.normal(shift, 1, n),
        "plan": pd.Series(rng.choice(["free", "pro", "team"], n), dtype="str").where(rng.random(n) > 0.02),
        "clicked": rng.random(n) < 0.3 + 0.01 * shift,
        "flag": rng.integers(0, 2, n),
    })


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 1_500), st.lists(st.floats(0.01, 0.99), min_size=1, max_size=3))
def test_profile_merge_gives_the_report_of_the_concatenation(seed, n, cuts):
    rng = np.random.default_rng(seed)
    ref, cur = _frame(rng, n), _frame(rng, max(n // 2, 1), shift=1.0)
    bounds = sorted({int(c * n) for c in cuts} | {0, n})
    parts = [Profile.from_frame(ref.iloc[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
    merged = parts[0]
    for p in parts[1:]: merged = merged.merge(p)
    whole = drift_report(ref, cur, method="auto").table
    pd.testing.assert_frame_equal(drift_report(merged, cur).table, whole)
    pd.testing.assert_frame_equal(drift_report(merged, Profile.from_frame(cur)).table, whole)


def test_profile_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    ref, cur = _frame(rng, 3_000), _frame(rng, 2_000, shift=0.5)
    Profile.from_frame(ref).save(tmp_path / "ref.npz")
    loaded = Profile.load(tmp_path / "ref.npz")
    pd.testing.assert_frame_equal(drift_report(loaded, cur, method="auto").table, drift_report(ref, cur).table)
    with np.load(tmp_path / "ref.npz", allow_pickle=False) as z: assert "meta" in z      # no pickle needed
    (tmp_path / "other.npz").write_bytes(b"not a profile")
    with pytest.raises(ValueError, match="not a readable mlparity profile: .*other.npz: not an .npz archive"):
        Profile.load(tmp_path / "other.npz")


def test_table_shape_and_auto_rule():
    rng = np.random.default_rng(1)
    small, big = _frame(rng, 500), _frame(rng, 5_000)
    t = drift_report(small, _frame(rng, 500)).table
    assert list(t.columns) == TABLE_COLUMNS
    assert dict(zip(t.column + "/" + t.method, t.drifted.notna())) and set(t.method) == {"missing", "ks", "chi2", "z"}
    assert set(drift_report(big, _frame(rng, 5_000)).table.method) == {"missing", "wasserstein", "js", "z"}
    t = drift_report(big[["score"]], big[["score"]] + 1, method=["ks", "wasserstein", "psi", "js"]).table
    assert t.method.tolist() == ["ks", "wasserstein", "psi", "js"] and t.drifted.all()
    assert t.loc[t.method == "wasserstein", "p_value"].isna().all()


GOOD = pd.DataFrame({"x": np.arange(100.0), "c": ["a", "b"] * 50})

# (what, reference, current, kwargs, expected): expected is an exception (type, text) or (finding check, column)
BAD_INPUT = [
    ("empty current", GOOD, GOOD.iloc[:0], {}, (ValueError, "current has no rows")),
    ("empty reference", GOOD.iloc[:0], GOOD, {}, (ValueError, "reference has no rows")),
    ("column missing from current", GOOD, GOOD[["x"]], {}, (KeyError, "['c'] missing from current")),
    ("type changed", GOOD, GOOD.assign(c=1.0), {}, (TypeError, "'c' is categorical in reference but numeric")),
    ("mixed types", GOOD.assign(c=pd.Series([1, "a"] * 50, dtype=object)), GOOD, {}, (TypeError, "mixes value types")),
    ("datetime", GOOD.assign(x=pd.Timestamp("2024-01-01")), GOOD, {}, (TypeError, "convert it to a number")),
    ("infinite values", GOOD.assign(x=np.inf), GOOD, {}, (ValueError, "infinite value")),
    ("unknown method", GOOD, GOOD, {"method": "kss"}, (ValueError, "unknown drift method")),
    ("method for the wrong type", GOOD, GOOD, {"method": "ks"}, (ValueError, "does not apply to categorical")),
    ("unknown threshold", GOOD, GOOD, {"thresholds": {"p": 1}}, (ValueError, "unknown threshold")),
    ("all-NaN current", GOOD, GOOD.assign(x=np.nan), {}, ("drift.empty", "x")),
    ("all-NaN both", GOOD.assign(x=np.nan), GOOD.assign(x=np.nan), {}, ("drift.empty", "x")),
    ("unseen category", GOOD, GOOD.assign(c=["a", "z"] * 50), {}, ("drift.unseen", "c")),
    ("tiny current", GOOD, GOOD.iloc[:5], {}, ("drift.tiny", "x")),
    ("constant reference, moved current", GOOD.assign(x=1.0), GOOD.assign(x=2.0), {"method": "wasserstein", "columns": ["x"]}, ("drift.wasserstein", "x")),
    ("constant reference, constant current", GOOD.assign(x=1.0), GOOD.assign(x=1.0), {"method": "wasserstein", "columns": ["x"]}, ("drift.constant", "x")),
    ("constant column becomes binary", GOOD.assign(x=1.0), GOOD.assign(x=[1.0, 2.0] * 50), {}, ("drift.z", "x")),
    ("missing rate jumps", GOOD, GOOD.assign(x=GOOD.x.where(GOOD.x > 30)), {}, ("drift.missing", "x")),
]


@pytest.mark.parametrize("what,ref,cur,kw,expected", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input(what, ref, cur, kw, expected):
    if isinstance(expected[0], type):
        with pytest.raises(expected[0]) as e: drift_report(ref, cur, **kw)
        assert expected[1] in str(e.value)
        return
    rep = drift_report(ref, cur, **kw)
    assert isinstance(rep, DriftReport)
    assert (expected[0], expected[1]) in {(f.check, f.subject) for f in rep}, str(rep)
    # never a silent "no drift": a column that could not be compared has NA, not False
    t = rep.table
    if expected[0] == "drift.empty":
        assert t.loc[(t.column == "x") & (t.method != "missing"), "drifted"].isna().all()


def test_same_data_is_not_drift_and_plot():
    rep = drift_report(GOOD, GOOD, figures=True)
    assert rep.ok and rep.drifted == [] and rep.plots == {}
    fig = drift_report(GOOD, GOOD.assign(x=GOOD.x + 50), figures=True).plots["x"]
    assert fig.axes[0].get_title().startswith("x: drifted")


def test_auto_in_a_list_is_not_computed_twice():
    rng = np.random.default_rng(3)
    r, c = pd.DataFrame({"x": rng.normal(0, 1, 2_000)}), pd.DataFrame({"x": rng.normal(0, 1, 2_000)})
    assert drift_report(r, c, method=["auto", "wasserstein", "ks"]).table.method.tolist() == ["wasserstein", "ks"]


# ---------------------------------------------------------------- the two sides of a long column sorted side by side
def test_long_columns_give_the_same_report_on_threads_and_on_one(monkeypatch):
    "From 2**16 rows the two sides of a column are sorted on two threads: the same table, findings and bounds as on one."
    import mlparity._frames as F
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"a": rng.normal(0, 1, 70_000), "b": rng.integers(0, 9, 70_000).astype(float)})
    cur = pd.DataFrame({"a": rng.normal(0.05, 1, 70_000), "b": rng.integers(0, 10, 70_000).astype(float)})
    cats = pd.DataFrame({"c": rng.choice(list("xyz"), 70_000)}), pd.DataFrame({"c": rng.choice(list("xyzw"), 70_000)})
    reports = {}
    for cores in (4, 1):
        monkeypatch.setattr(F.os, "cpu_count", lambda: cores)
        for how in (None, 512, "categories"):
            reports[cores, how] = (drift_report(*cats) if how == "categories" else
                                   drift_report(ref, cur, method=["ks", "wasserstein", "psi", "js"], sketch=how))
    for how in (None, 512, "categories"):
        a, b = reports[4, how], reports[1, how]
        pd.testing.assert_frame_equal(a.table, b.table)
        assert [(f.check, f.subject, f.message) for f in a] == [(f.check, f.subject, f.message) for f in b]


def test_long_columns_on_threads_name_the_reference_first(monkeypatch):
    "Both sides bad: the reference's error is raised, as when the sides are read one after the other."
    import mlparity._frames as F
    monkeypatch.setattr(F.os, "cpu_count", lambda: 4)
    bad = pd.DataFrame({"x": np.r_[np.ones(69_999), np.inf]})
    with pytest.raises(ValueError, match="column 'x' of reference holds 1 infinite value"): drift_report(bad, -bad)
    with pytest.raises(ValueError, match="column 'x' of current holds 1 infinite value"): drift_report(bad.assign(x=1.0), bad)
