"""Non-lesson tests of `mlparity.windows`: brute-force comparison, cache behaviour on a simulated clock, bad inputs."""
import re
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from mlparity.windows import WindowedFeature, FeatureCache, check_windows, serving_training_ratio
from mlparity.simulate import poisson_events


def brute(events, at, feature):
    "The feature by a plain loop: the reference `compute` must agree with."
    out = []
    for u, t in zip(at[feature.key], at[feature.time]):
        m = (events[feature.key] == u) & (events[feature.time] > t - feature.window_seconds) & (events[feature.time] <= t)
        v = events.loc[m, feature.value] if feature.value else None
        out.append(m.sum() if feature.agg == "count" else v.sum() if feature.agg == "sum" else
                   (v.mean() if m.any() else np.nan))
    return np.array(out, dtype="float64")


event_rows = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 50), st.floats(-5, 5, allow_nan=False)),
                      min_size=0, max_size=40)
query_rows = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 60)), min_size=1, max_size=15)

@settings(max_examples=80, deadline=None)
@given(event_rows, query_rows, st.integers(1, 30), st.sampled_from(["count", "sum", "mean"]))
def test_compute_matches_brute_force(ev, q, window, agg):
    events = pd.DataFrame(ev, columns=["user_id", "ts", "amount"]).astype({"user_id": "int64", "ts": "int64", "amount": "float64"})
    at = pd.DataFrame(q, columns=["user_id", "ts"])
    f = WindowedFeature("f", agg, window, value=None if agg == "count" else "amount")
    # sums are differences of prefix sums: equal within float rounding, not bit for bit
    np.testing.assert_allclose(f.compute(events, at), brute(events, at, f), rtol=1e-9, atol=1e-9, equal_nan=True)


def test_window_is_half_open_at_the_boundaries():
    events = pd.DataFrame({"user_id": [1, 1, 1], "ts": [100, 160, 200]})
    f = WindowedFeature("n", "count", 100)
    at = pd.DataFrame({"user_id": [1, 1, 1, 2], "ts": [200, 199, 260, 200]})
    np.testing.assert_array_equal(f.compute(events, at), [2, 2, 1, 0])   # (t - 100, t]; unseen user: 0


def test_datetime_times_and_string_keys():
    t0 = pd.Timestamp("2024-03-01 00:00")
    events = pd.DataFrame({"user": ["a", "a", "b"], "when": [t0, t0 + pd.Timedelta("2h"), t0 + pd.Timedelta("30min")]})
    f = WindowedFeature("n", "count", "6h", key="user", time="when")
    at = pd.DataFrame({"user": ["a", "b", "c"], "when": [t0 + pd.Timedelta("3h")] * 3})
    np.testing.assert_array_equal(f.compute(events, at), [2, 1, 0])
    assert f.online(events, "a", t0 + pd.Timedelta("7h")) == 1.0


def test_batch_and_online_agree():
    ev = poisson_events(50, 24, seed=3)
    f = WindowedFeature("n", "count", "6h")
    at = pd.DataFrame({"user_id": np.arange(50), "ts": 20 * 3600})
    b = f.batch(ev, at)
    assert list(b.columns) == ["user_id", "ts", "n"]
    assert [f.online(ev, u, 20 * 3600) for u in range(5)] == b.n.iloc[:5].tolist()


BAD_FEATURES = [
    (dict(name="", agg="count", window=60), ValueError, "name must be a non-empty string"),
    (dict(name="x", agg="median", window=60), ValueError, "agg of feature 'x' must be one of"),
    (dict(name="x", agg="mean", window=60), ValueError, "pass `value=`"),
    (dict(name="x", agg="count", window="6 parsecs"), ValueError, "unknown unit 'parsecs' in window of feature 'x'"),
    (dict(name="x", agg="count", window=-60), ValueError, "window of feature 'x' must be positive"),
    (dict(name="x", agg="count", window=0), ValueError, "window of feature 'x' must be positive"),
    (dict(name="x", agg="count", window="six hours"), ValueError, "is not a duration"),
    (dict(name="x", agg="count", window=None), TypeError, "window of feature 'x' must be a number"),
    (dict(name="x", agg="count", window=60, ttl=-1), ValueError, "ttl of feature 'x' must be non-negative"),
    (dict(name="x", agg="count", window=60, ttl="1 fortnight"), ValueError, "unknown unit 'fortnight'"),
    (dict(name="x", agg="count", window=float("nan")), ValueError, "window of feature 'x' must be finite"),
    (dict(name="x", agg="count", window=True), TypeError, "window of feature 'x' must be a number of s or a string like '6h'"),
    (dict(name="x", agg="count", window=[60]), TypeError, "window of feature 'x' must be a number"),
    (dict(name="x", agg="count", window="60", ttl="2 parsecs"), ValueError, "unknown unit 'parsecs' in ttl of feature 'x'"),
]

@pytest.mark.parametrize("kw,exc,msg", BAD_FEATURES)
def test_bad_declarations(kw, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)): WindowedFeature(**kw)


def test_bad_compute_inputs():
    f = WindowedFeature("s", "sum", 60, value="amount")
    ev = pd.DataFrame({"user_id": [1], "ts": [10], "amount": [2.0]})
    at = pd.DataFrame({"user_id": [1], "ts": [20]})
    cases = [
        (lambda: f.compute(ev.drop(columns="amount"), at), KeyError, "column(s) ['amount'] missing from events"),
        (lambda: f.compute(ev, at.rename(columns={"ts": "t"})), KeyError, "column(s) ['ts'] missing from at"),
        (lambda: f.compute(ev.assign(amount=["a"]), at), TypeError, "events.amount must be numeric"),
        (lambda: f.compute(ev.assign(ts=["noon"]), at), TypeError, "events.ts must hold numbers"),
        (lambda: f.compute(ev.assign(ts=[np.nan]), at), ValueError, "events.ts has missing or infinite times"),
        (lambda: f.compute(ev, at.assign(ts=[pd.NaT]).astype({"ts": "datetime64[ns]"})), ValueError, "at.ts has missing times"),
        (lambda: f.compute(ev.to_dict(), at), TypeError, "events must be a pandas DataFrame"),
        (lambda: f.compute(ev, at.assign(ts=pd.Timestamp("2025-01-01"))), TypeError,
         "events.ts holds numbers but at.ts holds datetimes: a request time must be in the units of the events"),
        (lambda: f.compute(ev.assign(ts=pd.Timestamp("2025-01-01")), at), TypeError, "events.ts holds datetimes but at.ts holds numbers"),
        (lambda: f.compute(ev.assign(ts=pd.Timestamp("2025-01-01", tz="UTC")), at.assign(ts=pd.Timestamp("2025-01-02"))),
         TypeError, "mix tz-aware and tz-naive datetimes"),
        (lambda: f.compute(ev.assign(amount=[np.inf]), at), ValueError, "events.amount has infinite values"),
        (lambda: f.compute(ev.assign(amount=[1 + 2j]), at), TypeError, "events.amount must be numeric to sum it (real numbers), got complex"),
        (lambda: f.compute(ev.assign(amount=[True]), at), TypeError, "got bool values"),
        (lambda: f.compute(ev.assign(ts=[True]), at), TypeError, "events.ts must hold numbers (seconds) or datetimes"),
    ]
    for call, exc, msg in cases:
        with pytest.raises(exc, match=re.escape(msg)): call()


def test_cache_recomputes_only_on_expiry():
    ev = poisson_events(20, 24, seed=0)
    f = WindowedFeature("n", "count", "6h", ttl="1h")
    c = FeatureCache(f, ev)
    t0 = 12 * 3600
    first = c.get(range(20), t0)
    ev2 = pd.concat([ev, pd.DataFrame({"user_id": [0] * 5, "ts": [t0 + 10] * 5})], ignore_index=True)
    c.events = ev2                                          # new events arrive
    np.testing.assert_array_equal(c.get(range(20), t0 + 3599), first)   # still cached: unchanged
    assert (c.hits_, c.misses_) == (20, 20)
    after = c.get(range(20), t0 + 3600)                     # expired: recomputed by the same feature
    np.testing.assert_array_equal(after, f.compute(ev2, pd.DataFrame({"user_id": range(20), "ts": t0 + 3600})))
    assert c.misses_ == 40
    assert FeatureCache(WindowedFeature("n", "count", 60), ev).ttl_ == 0.0   # no TTL: always recompute
    with pytest.raises(TypeError, match="must be a WindowedFeature"): FeatureCache("n", ev)


def test_check_windows_cases():
    tr = [WindowedFeature("a", "count", "6h"), WindowedFeature("b", "mean", "1h", value="x"),
          WindowedFeature("only_train", "count", 60)]
    sv = [WindowedFeature("a", "count", "1h", ttl="1h"), WindowedFeature("b", "sum", "1h", value="x", ttl="2h"),
          WindowedFeature("only_serve", "count", 60)]
    r = check_windows(tr, sv)
    got = {(f.check, f.subject, f.severity) for f in r}
    assert got == {("windows.window", "a", "error"), ("windows.agg", "b", "error"), ("windows.ttl", "b", "warning"),
                   ("windows.missing", "only_train", "error"), ("windows.missing", "only_serve", "warning")}
    assert r.tables["windows"].shape[0] == 4
    assert check_windows(tr, tr).ok and len(check_windows(tr, tr)) == 0
    assert check_windows(WindowedFeature("a", "count", 21600), WindowedFeature("a", "count", "6h")).ok
    with pytest.raises(ValueError, match="declared twice in serving"): check_windows(tr, [tr[0], tr[0]])
    with pytest.raises(TypeError, match="must hold WindowedFeature objects"): check_windows(tr, ["a"])


def _frames(t, s, key=("user_id",)):
    n = len(t)
    base = pd.DataFrame({"user_id": np.arange(n)})
    return base.assign(v=np.asarray(t, dtype=float)), base.assign(v=np.asarray(s, dtype=float))


def test_ratio_flags_a_sixth_and_passes_equal_values():
    t, s = _frames([6, 12, 18, 24], [1, 2, 3, 4])
    r = serving_training_ratio(t, s, key="user_id")
    assert not r.ok and r.findings[0].evidence["median_ratio"] == pytest.approx(1 / 6)
    r = serving_training_ratio(*_frames([6, 12, 0, 24], [6, 12, 5, 24]), key="user_id")
    assert r.ok and r.findings[0].severity == "info"
    assert r.findings[0].evidence["zero_or_missing_training"] == 1
    assert serving_training_ratio(*_frames([10, 10], [11.5, 11.5]), key="user_id", tol=0.2).ok
    assert not serving_training_ratio(*_frames([10, 10], [11.5, 11.5]), key="user_id", tol=0.1).ok


def test_ratio_bad_inputs():
    t, s = _frames([1, 2], [1, 2])
    cases = [
        (lambda: serving_training_ratio(t, s, key="user"), KeyError, "column(s) ['user'] missing from training_values"),
        (lambda: serving_training_ratio(t, s.rename(columns={"v": "w"}), key="user_id", value="v"), KeyError,
         "column(s) ['v'] missing from serving_values"),
        (lambda: serving_training_ratio(t.assign(w=1), s, key="user_id"), ValueError, "pass `value=`"),
        (lambda: serving_training_ratio(t, s.assign(v=["a", "b"]), key="user_id"), TypeError, "serving_values.v must be numeric"),
        (lambda: serving_training_ratio(t, s.assign(user_id=[5, 6]), key="user_id"), ValueError, "share no ['user_id']"),
        (lambda: serving_training_ratio(t.assign(v=0.0), s, key="user_id"), ValueError, "no row has a finite, non-zero"),
        (lambda: serving_training_ratio(pd.concat([t, t]), s, key="user_id"), ValueError, "training_values has 2 duplicate"),
        (lambda: serving_training_ratio(t, s, key=[]), ValueError, "`key` is empty"),
        (lambda: serving_training_ratio(t, s, key=["user_id", "user_id"]), ValueError, "names a column twice"),
        (lambda: serving_training_ratio(t, s, key="user_id", tol=True), ValueError, "tol must be a non-negative number"),
        (lambda: serving_training_ratio(t, s.assign(v=[True, False]), key="user_id"), TypeError, "serving_values.v must be numeric to take a ratio"),
        (lambda: serving_training_ratio(t.assign(v=[1j, 2j]), s, key="user_id"), TypeError, "got complex values"),
        (lambda: serving_training_ratio(t, s, key="user_id", tol=float("nan")), ValueError, "tol must be a non-negative number"),
        (lambda: serving_training_ratio(t, s, key="user_id", tol=-1), ValueError, "tol must be a non-negative number"),
        (lambda: serving_training_ratio(t.values, s, key="user_id"), TypeError, "training_values must be a pandas DataFrame"),
    ]
    for call, exc, msg in cases:
        with pytest.raises(exc, match=re.escape(msg)): call()


def test_poisson_events_is_seeded_and_validated():
    a, b = poisson_events(30, 10, seed=5), poisson_events(30, 10, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(poisson_events(30, 10, seed=6))
    assert a.ts.is_monotonic_increasing and a.ts.between(0, 10 * 3600 - 1).all()
    with pytest.raises(ValueError, match="must be positive"): poisson_events(0, 10)
    with pytest.raises(ValueError, match="daily_amplitude"): poisson_events(10, 10, daily_amplitude=1.5)


def test_legacy_windows_give_a_sixth_and_the_fix_gives_one():
    "The chapter's headline, on its own small stream: 1 h over 6 h counts is about 1/6; one definition gives 1."
    ev = poisson_events(400, 48, seed=11, daily_amplitude=0.0)
    at = pd.DataFrame({"user_id": np.repeat(np.arange(400), 4), "ts": np.tile([30, 33, 36, 40], 400) * 3600})
    six, one = WindowedFeature("n", "count", "6h"), WindowedFeature("n", "count", "1h")
    r = serving_training_ratio(six.batch(ev, at), one.batch(ev, at), key=["user_id", "ts"])
    assert not r.ok and 0.1 < r.findings[0].evidence["ratio_of_means"] < 0.23
    assert serving_training_ratio(six.batch(ev, at), six.batch(ev, at), key=["user_id", "ts"]).ok


def test_a_bare_number_is_seconds_whatever_the_time_unit():
    "Windows and TTLs given as numbers are seconds (documented); with datetime events the same feature counts the same."
    assert WindowedFeature("n", "count", 3600).window_seconds == WindowedFeature("n", "count", "1h").window_seconds == 3600.0
    assert WindowedFeature("n", "count", "60", ttl=30).ttl_seconds == 30.0          # "60" and 30: seconds
    t0 = pd.Timestamp("2025-01-01")
    secs = pd.DataFrame({"user_id": [1, 1, 1], "ts": [0, 1800, 7200]})
    dts = secs.assign(ts=t0 + pd.to_timedelta(secs["ts"], unit="s"))
    at_s, at_d = pd.DataFrame({"user_id": [1], "ts": [7200]}), pd.DataFrame({"user_id": [1], "ts": [t0 + pd.Timedelta("2h")]})
    f = WindowedFeature("n", "count", 3600)
    assert f.compute(secs, at_s).tolist() == f.compute(dts, at_d).tolist() == [1.0]


def test_mean_and_sum_skip_missing_values_as_pandas_does():
    ev = pd.DataFrame({"user_id": [1, 1, 1, 2], "ts": [10, 20, 30, 30], "amount": [2.0, np.nan, 4.0, np.nan]})
    at = pd.DataFrame({"user_id": [1, 2], "ts": [30, 30]})
    mean = WindowedFeature("m", "mean", 100, value="amount").compute(ev, at)
    total = WindowedFeature("s", "sum", 100, value="amount").compute(ev, at)
    np.testing.assert_array_equal(mean, [3.0, np.nan])       # (2 + 4) / 2, not / 3; a user with only NaN: NaN
    np.testing.assert_array_equal(total, [6.0, 0.0])         # pandas' sum of nothing present is 0
    nullable = ev.assign(amount=ev["amount"].astype("Float64"))
    np.testing.assert_array_equal(WindowedFeature("m", "mean", 100, value="amount").compute(nullable, at), mean)


def test_tz_aware_times_are_compared_in_utc():
    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    ev = pd.DataFrame({"user_id": [1, 1], "ts": [t0, t0 + pd.Timedelta("2h")]})
    ev_tokyo = ev.assign(ts=ev["ts"].dt.tz_convert("Asia/Tokyo"))
    at = pd.DataFrame({"user_id": [1], "ts": [t0 + pd.Timedelta("150min")]})
    f = WindowedFeature("n", "count", "1h")
    assert f.compute(ev, at).tolist() == f.compute(ev_tokyo, at).tolist() == [1.0]


def test_cache_takes_timestamps_for_datetime_events():
    t0 = pd.Timestamp("2025-01-01")
    ev = pd.DataFrame({"user_id": [1, 1], "ts": [t0, t0 + pd.Timedelta("30min")]})
    c = FeatureCache(WindowedFeature("n", "count", "6h", ttl="1h"), ev)
    assert c.get([1], t0 + pd.Timedelta("40min")).tolist() == [2.0]
    assert c.get([1], t0 + pd.Timedelta("90min")).tolist() == [2.0] and c.hits_ == 1      # 50 min old: cached
    assert c.get([1], t0 + pd.Timedelta("101min")).tolist() == [2.0] and c.misses_ == 2   # 61 min old: recomputed


def test_missing_served_values_fail_the_ratio():
    "A serving path that returns NaN for some users must not pass on the median of the others."
    t, s = _frames([6, 12, 18, 24], [6, np.nan, 18, np.nan])
    r = serving_training_ratio(t, s, key="user_id")
    assert not r.ok and r.findings[0].severity == "info"                 # the ratio of the rest is 1 ...
    miss = r.errors[0]
    assert "serving has no finite 'v' for 2 of 4 rows" in miss.message and miss.evidence["rows"] == 2   # ... and 2 are missing
    r = serving_training_ratio(*_frames([6, 12], [np.nan, np.nan]), key="user_id")
    assert not r.ok and "no row of 'v' could be compared" in r.errors[0].message


def test_check_windows_and_cache_bad_inputs():
    f = WindowedFeature("a", "count", "6h")
    cases = [
        (lambda: check_windows(None, [f]), TypeError, "training must be a WindowedFeature or a list of them, got NoneType"),
        (lambda: check_windows([f], 3600), TypeError, "serving must be a WindowedFeature or a list of them, got int"),
        (lambda: check_windows("a", [f]), TypeError, "training must be a WindowedFeature or a list of them, got str"),
        (lambda: check_windows([], []), ValueError, "declare no features: there is nothing to compare"),
        (lambda: check_windows([f], [3600]), TypeError, "serving must hold WindowedFeature objects, got int"),
        (lambda: FeatureCache(f, "events.csv"), TypeError, "events must be a pandas DataFrame, got str"),
        (lambda: FeatureCache(f, pd.DataFrame({"user": [1], "ts": [0]})), KeyError, "column(s) ['user_id'] missing from events"),
    ]
    for call, exc, msg in cases:
        with pytest.raises(exc, match=re.escape(msg)): call()


def test_empty_inputs_give_empty_or_zero_answers():
    ev = pd.DataFrame({"user_id": [1], "ts": [10], "amount": [2.0]})
    at = pd.DataFrame({"user_id": [1], "ts": [20]})
    assert WindowedFeature("n", "count", "1h").compute(ev.iloc[:0], at).tolist() == [0.0]
    assert np.isnan(WindowedFeature("m", "mean", "1h", value="amount").compute(ev.iloc[:0], at)).all()
    assert WindowedFeature("s", "sum", "1h", value="amount").compute(ev.iloc[:0], at).tolist() == [0.0]
    assert WindowedFeature("n", "count", "1h").compute(ev, at.iloc[:0]).tolist() == []
