"""Monitoring, shadow comparison, counted fallbacks and the cost model."""
import numpy as np, pandas as pd
import pytest
from mlparity.monitor import monitor, first_alert, shadow_report, Fallback
from mlparity.casestudy import cost_of_inaction
from mlparity.profile import Profile


@pytest.fixture(scope="module")
def ref():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(0, 1, 3000), "b": rng.gamma(2, 1, 3000)})


def _batches(shift_from, n_batches=12, n=300, seed=1):
    rng = np.random.default_rng(seed)
    return {i: pd.DataFrame({"a": rng.normal(0.8 if i >= shift_from else 0, 1, n), "b": rng.gamma(2, 1, n)}) for i in range(n_batches)}


def test_monitor_flags_the_shift_at_its_first_batch_and_not_before(ref):
    t = monitor(ref, _batches(shift_from=7))
    assert first_alert(t) == 7
    assert set(t.loc[t.drifted, "column"]) == {"a"}
    assert list(t.columns[:2]) == ["batch", "column"] and "ks_p_value" in t.columns


def test_monitor_alpha_suppresses_small_sample_noise(ref):
    # 30-row batches with no shift: the effect size alone crosses 0.1 by chance, the combined rule does not
    b = _batches(shift_from=99, n_batches=30, n=30, seed=3)
    assert monitor(ref, b, alpha=None).drifted.any()
    assert not monitor(ref, b).drifted.any()


def test_monitor_accepts_a_saved_profile(ref, tmp_path):
    Profile.from_frame(ref).save(tmp_path / "p.json")
    t1 = monitor(Profile.load(tmp_path / "p.json"), _batches(7))
    t2 = monitor(ref, _batches(7))
    pd.testing.assert_frame_equal(t1, t2)


def test_monitor_bad_input(ref):
    with pytest.raises(ValueError, match="`batches` is empty"): monitor(ref, {})
    with pytest.raises(TypeError, match="batch 'x' is a list"): monitor(ref, {"x": [1, 2]})
    with pytest.raises(ValueError, match="`alpha` must be in"): monitor(ref, _batches(1), alpha=2)


def _recs(users, products):
    return pd.DataFrame([(u, r + 1, p) for u, ps in zip(users, products) for r, p in enumerate(ps)], columns=["user_id", "rank", "product_id"])


def test_shadow_report():
    users = list(range(20))
    same = _recs(users, [list(range(10))] * 20)
    assert shadow_report(same, same).ok
    half = _recs(users, [list(range(5, 15))] * 20)
    r = shadow_report(same, half)
    assert not r.ok and r.tables["shadow"].mean_overlap.iloc[0] == 0.5
    # one disagreeing request in twenty is within a 5 % tolerance, two are not
    one = _recs(users, [list(range(10))] * 19 + [list(range(10, 20))])
    assert shadow_report(same, one).ok
    two = _recs(users, [list(range(10))] * 18 + [list(range(10, 20))] * 2)
    assert not shadow_report(same, two).ok
    assert not shadow_report(same, same[same.user_id != 3]).ok  # a request answered by one side only
    with pytest.raises(KeyError, match="missing from shadow"): shadow_report(same, same.drop(columns="user_id"))


def test_fallback_counts_paths_and_reasons():
    def primary(x):
        if x % 10 == 0: raise TimeoutError("store")
        if x % 10 == 1: raise KeyError(x)
        return "model"
    fb = Fallback(primary, lambda x: "popular", max_rate=0.1)
    outs = [fb(i) for i in range(100)]
    assert outs[0] == ("popular", "fallback") and outs[2] == ("model", "primary")
    assert fb.counts["fallback"] == 20 and fb.rate == 0.2
    rep = fb.report()
    assert not rep.ok and rep.findings[0].evidence["reasons"] == {"TimeoutError": 10, "KeyError": 10}
    assert Fallback(lambda x: x, lambda x: x).report().ok


def test_cost_model_arithmetic():
    c = cost_of_inaction(quarterly_revenue=13e6, drop=0.5, weeks=2, diagnosis=1, remediation=2, opportunity=3)
    assert c.usd.tolist() == [1e6, 1, 2, 3, 1e6 + 6]
    assert c.item.iloc[-1] == "total"
