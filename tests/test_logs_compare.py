"""`mlparity.logs.compare_logged`: the as-of training side against a brute-force loop, the same mismatch counts as
`compare_frames`, staleness, the timeline, and every bad input (a finding or a clear error)."""
import json
import numpy as np
import pandas as pd
import pytest

from mlparity.logs import compare_logged, SkewReport, FeatureLog
from mlparity.parity import compare_frames

T0 = pd.Timestamp("2024-08-01")


def world(seed=0, n_users=12, n_days=8, n_req=200, tz=None):
    "Daily versions of two features per user, and a log of requests served from the right version."
    rng = np.random.default_rng(seed)
    days = pd.date_range(T0, periods=n_days, freq="D", tz=tz)
    off = pd.DataFrame([(u, d, float(rng.integers(0, 5)), int(rng.integers(0, 3)), f"c{rng.integers(0, 2)}")
                        for d in days for u in range(n_users)], columns=["user_id", "valid_from", "x", "n", "s"])
    log = pd.DataFrame({"user_id": rng.integers(0, n_users, n_req),
                        "request_time": days[0] + pd.to_timedelta(rng.integers(0, n_days * 86400, n_req), unit="s")})
    return off, log


def brute_as_of(log, off, key="user_id", time="request_time", valid="valid_from"):
    "For each request, the latest offline row of its key at or before its time (None when there is none)."
    rows = []
    for _, r in log.iterrows():
        c = off[(off[key] == r[key]) & (off[valid] <= r[time])]
        rows.append(None if c.empty else c.sort_values(valid).iloc[-1])
    return rows


def serve_from(log, off, features=("x", "n", "s")):
    rows = brute_as_of(log, off)
    out = log.copy()
    for f in features: out[f] = [r[f] for r in rows]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_as_of_matches_brute_force_and_compare_frames(seed):
    off, log = world(seed)
    served = serve_from(log, off)
    rng = np.random.default_rng(seed)
    bad = rng.random(len(served)) < 0.2
    served.loc[bad, "x"] += rng.choice([1e-12, 0.5], bad.sum())     # some within rtol, some not
    served.loc[rng.random(len(served)) < 0.1, "s"] = "other"
    served.loc[rng.random(len(served)) < 0.05, "x"] = np.nan
    # the same counts as compare_frames on the as-of rows, joined by hand: with the default tolerance and strictly (atol=0)
    truth = serve_from(log, off)
    clean = served.drop_duplicates(["user_id", "request_time"]).reset_index(drop=True)
    truth = truth.drop_duplicates(["user_id", "request_time"]).reset_index(drop=True)
    for atol in (0.0, None):
        kw = {} if atol is None else dict(atol=atol)
        rep = compare_logged(served, off, key="user_id", valid_time="valid_from", rtol=1e-9, **kw)
        assert isinstance(rep, SkewReport)
        ref = compare_frames(truth.reset_index(), clean.reset_index(), "index", columns=["x", "n", "s"], rtol=1e-9, **kw)
        want = dict(zip(ref.summary["feature"], ref.summary["mismatches"]))
        got = dict(zip(rep.summary["feature"], rep.summary["mismatches"]))
        assert got == want
    assert sum(rep.timeline[rep.timeline.feature == "x"]["mismatches"]) == want["x"]
    rep = compare_logged(served, off, key="user_id", valid_time="valid_from", rtol=1e-9, atol=0.0)
    # the first divergence is the earliest mismatching request
    first = rep.first.set_index("feature")
    m = clean.merge(truth, on=["user_id", "request_time"], suffixes=("", "_t"))
    diff = m[~((m.x == m.x_t) | (m.x.isna() & m.x_t.isna()) | ((m.x - m.x_t).abs() <= 1e-9 * m[["x", "x_t"]].abs().max(axis=1)))]
    assert first.loc["x", "request_time"] == diff.request_time.min()


def test_never_looks_into_the_future():
    off = pd.DataFrame({"user_id": [1, 1], "valid_from": [T0, T0 + pd.Timedelta("1h")], "x": [1.0, 2.0]})
    at = lambda t, x: pd.DataFrame({"user_id": [1], "request_time": [t], "x": [x]})
    assert compare_logged(at(T0 + pd.Timedelta("1h"), 2.0), off, key="user_id", valid_time="valid_from").ok   # at the instant: that row
    assert compare_logged(at(T0 + pd.Timedelta("1h") - pd.Timedelta(1, "ns"), 1.0), off, key="user_id", valid_time="valid_from").ok
    rep = compare_logged(at(T0 + pd.Timedelta("59min"), 2.0), off, key="user_id", valid_time="valid_from")
    assert rep.failing == ["x"]                                         # the future row is never read


def test_staleness_and_max_age():
    off = pd.DataFrame({"user_id": 1, "valid_from": pd.date_range(T0, periods=6, freq="D"), "x": np.arange(6.0)})
    log = pd.DataFrame({"user_id": 1, "request_time": T0 + pd.to_timedelta([0.5, 5.5, 5.6, 5.7], unit="D"), "x": [0.0, 5.0, 2.0, 9.0]})
    rep = compare_logged(log, off, key="user_id", valid_time="valid_from")
    row = rep.summary.set_index("feature").loc["x"]
    assert (row.mismatches, row.stale) == (2, 1)                        # 2.0 is day 2's value; 9.0 is no version at all
    assert row.served_age_max == pd.Timedelta(days=3.6)
    st = [f for f in rep if f.check == "logs.staleness"]
    assert len(st) == 1 and st[0].severity == "warning" and st[0].evidence["stale"] == 1
    rep = compare_logged(log, off, key="user_id", valid_time="valid_from", max_age="2D")
    assert [f.severity for f in rep if f.check == "logs.staleness"] == ["error"]
    rep = compare_logged(log, off, key="user_id", valid_time="valid_from", lookback=2)
    assert rep.summary.set_index("feature").loc["x", "stale"] == 0      # day 2 is 3 versions back


def test_timeline_by_hour_and_renderings():
    off, log = world(1)
    served = serve_from(log, off)
    served.loc[served.request_time >= T0 + pd.Timedelta(days=4), "n"] += 1
    rep = compare_logged(served, off, key="user_id", valid_time="valid_from", by="hour")
    assert rep.failing == ["n"]
    tl = rep.timeline[rep.timeline.feature == "n"]
    assert (tl.period.diff().dropna() >= pd.Timedelta("1h")).all()
    assert (tl.loc[tl.period < T0 + pd.Timedelta(days=4), "mismatches"] == 0).all()
    assert (tl.loc[tl.period >= T0 + pd.Timedelta(days=4), "mismatch_rate"] == 1).all()
    assert rep.first.set_index("feature").loc["n", "request_time"] == served.loc[served.request_time >= T0 + pd.Timedelta(days=4), "request_time"].min()
    values = [f for f in rep if f.check == "logs.values"][0]
    assert "first diverged at request" in values.message and values.evidence["first_request"]["served"] == values.evidence["first_request"]["training"] + 1
    json.loads(rep.to_json())
    figs = rep.figures()
    assert [s for s, _ in figs] == ["n"] and "served values disagree with training from" in figs[0][1].title
    assert rep.to_html().count("<img") == 1
    ok = compare_logged(serve_from(log, off), off, key="user_id", valid_time="valid_from")
    assert ok.ok and ok.failing == [] and [s for s, _ in ok.figures()] == ["timeline"]


def test_several_keys_and_time_zones():
    off, log = world(2, tz="UTC")
    served = serve_from(log, off)
    off2 = off.assign(shop=off.user_id % 2); served2 = served.assign(shop=served.user_id % 2)
    assert compare_logged(served2, off2, key=["user_id", "shop"], valid_time="valid_from").ok
    # the same instants in another zone compare equal
    paris = served.assign(request_time=served.request_time.dt.tz_convert("Europe/Paris"))
    assert compare_logged(paris, off, key="user_id", valid_time="valid_from").ok
    with pytest.raises(TypeError, match="tz-aware .* naive"):
        compare_logged(served.assign(request_time=served.request_time.dt.tz_localize(None)), off, key="user_id", valid_time="valid_from")


def test_function_as_training_side():
    off, log = world(3)
    served = serve_from(log, off)
    def as_of_fn(events, as_of):
        rows = brute_as_of(as_of, events)
        return pd.DataFrame({"x": [r["x"] for r in rows]}, index=as_of.index)
    assert compare_logged(served, as_of_fn, events=off, key="user_id", columns=["x"]).ok
    leaky = lambda events, as_of: pd.DataFrame({"x": as_of.user_id.map(events.groupby("user_id").x.last())}, index=as_of.index)
    rep = compare_logged(served, leaky, events=off, key="user_id", columns=["x"])
    assert rep.failing == ["x"] and rep.summary.stale.iloc[0] == 0 and pd.isna(rep.summary.served_age_max.iloc[0])
    with pytest.raises(TypeError, match="pass the raw events with `events=`"):
        compare_logged(served, as_of_fn, key="user_id")
    with pytest.raises(ValueError, match="returned 3 rows for 200 requests"):
        compare_logged(served, lambda e, a: pd.DataFrame({"x": [1, 2, 3]}), events=off, key="user_id")
    with pytest.raises(TypeError, match="must return a DataFrame"):
        compare_logged(served, lambda e, a: 3, events=off, key="user_id")


# bad inputs: each a finding (counted, never "ok" for those rows) or a clear error
def test_missing_keys_or_times_in_the_log():
    off, log = world(4)
    served = serve_from(log, off)
    served["user_id"] = served["user_id"].astype("float64")
    served.loc[:9, "user_id"] = np.nan
    served.loc[10:14, "request_time"] = pd.NaT
    rep = compare_logged(served, off, key="user_id", valid_time="valid_from")
    f = [f for f in rep if f.check == "logs.missing"][0]
    assert f.evidence["requests"] == 15 and f.severity == "warning"
    assert rep.summary.requests.iloc[0] == 185 and rep.summary.not_compared.iloc[0] == 15


def test_requests_before_any_training_row():
    off, log = world(5)
    served = serve_from(log, off)
    early = pd.DataFrame({"user_id": [1, 2], "request_time": [T0 - pd.Timedelta("1h")] * 2, "x": 1.0, "n": 1, "s": "c0"})
    rep = compare_logged(pd.concat([served, early]), off, key="user_id", valid_time="valid_from")
    f = [f for f in rep if f.check == "logs.no_training_row"][0]
    assert f.evidence["requests"] == 2 and rep.ok                        # the others agree; these two are not counted
    assert rep.summary.not_compared.iloc[0] == 2
    none = compare_logged(early, off, key="user_id", valid_time="valid_from")
    assert not none.ok and any(f.check == "logs.rows" for f in none.errors)
    assert compare_logged(early.iloc[:0], off, key="user_id", valid_time="valid_from").ok is False


def test_duplicate_requests():
    off, log = world(6)
    served = serve_from(log, off)
    dup = served.iloc[[0, 1, 2]].copy(); dup.loc[dup.index[0], "x"] += 1
    rep = compare_logged(pd.concat([served, dup]), off, key="user_id", valid_time="valid_from")
    f = [f for f in rep if f.check == "logs.duplicates"][0]
    assert (f.evidence["duplicates"], f.evidence["conflicting"]) == (3, 1) and rep.ok


def test_clear_errors():
    off, log = world(7)
    served = serve_from(log, off)
    kw = dict(key="user_id", valid_time="valid_from")
    with pytest.raises(KeyError, match=r"column\(s\) \['user'\] missing from the log"):
        compare_logged(served, off, key="user", valid_time="valid_from")
    with pytest.raises(KeyError, match=r"\['valid'\] missing from offline"):
        compare_logged(served, off, key="user_id", valid_time="valid")
    with pytest.raises(TypeError, match="not datetime64"):
        compare_logged(served.assign(request_time=served.request_time.astype(str)), off, **kw)
    with pytest.raises(TypeError, match="key column 'user_id' is str .* in the log"):
        compare_logged(served.assign(user_id=served.user_id.astype(str)), off, **kw)
    with pytest.raises(ValueError, match="same key.* and validity time"):
        compare_logged(served, pd.concat([off, off.iloc[:1]]), **kw)
    with pytest.raises(ValueError, match="missing time"):
        compare_logged(served, off.assign(valid_from=off.valid_from.where(off.index > 0)), **kw)
    with pytest.raises(TypeError, match="offline must be a DataFrame .* or a function"):
        compare_logged(served, 3, key="user_id")
    with pytest.raises(ValueError, match="by must be one of"):
        compare_logged(served, off, by="week", **kw)
    with pytest.raises(KeyError, match=r"feature\(s\) \['zz'\] are not in the log"):
        compare_logged(served, off, columns=["zz"], **kw)
    rep = compare_logged(served.assign(extra=1.0), off, **kw)        # a logged feature training does not compute
    assert "extra" in rep.failing and any(f.check == "logs.columns" for f in rep.errors)


def test_log_folder_with_a_schema_change(tmp_path):
    off, log = world(8)
    served = serve_from(log, off)
    with FeatureLog(tmp_path / "a") as fl:
        for r in served.itertuples(): fl.log(r.request_time, r.user_id, {"x": r.x, "n": r.n, "s": r.s})
    rep = compare_logged(tmp_path / "a", off, key="user_id", valid_time="valid_from")
    assert rep.ok and rep.summary.requests.iloc[0] == len(served.drop_duplicates(["user_id", "request_time"]))
    with FeatureLog(tmp_path / "b") as fl: fl.log(T0, 1, {"x": "high", "n": 1, "s": "c0"})
    (tmp_path / "b" / "day=2024-08-01").rename(tmp_path / "a" / "day=2024-07-31")
    with pytest.raises(ValueError, match="schema changed between log files"):
        compare_logged(tmp_path / "a", off, key="user_id", valid_time="valid_from")


def test_default_tolerance_is_compare_frames_rule():
    "atol=None (the default) is 1e-12 x the feature's mean |value|, as in compare_frames: float noise near 0 agrees; atol=0.0 is strict."
    off, log = world(9)
    off = off.assign(x=off.x + 1.0)                                      # a feature of scale ~3
    zero = log.index[:4]
    off.loc[off.user_id.isin(log.loc[zero, "user_id"]), "x"] = 0.0      # these users' training value is 0.0 ...
    served = serve_from(log, off).assign(x=lambda d: d.x.where(~d.index.isin(zero), d.x + 3e-16))   # ... served: float noise, 1e-16 of the mean
    default = compare_logged(served, off, key="user_id", valid_time="valid_from")
    assert default.ok and default.summary.set_index("feature").loc["x", "mismatches"] == 0
    ref = compare_frames(serve_from(log, off).drop_duplicates(["user_id", "request_time"]).reset_index(),
                         served.drop_duplicates(["user_id", "request_time"]).reset_index(), "index", columns=["x"])
    assert ref.ok                                                       # compare_frames' default agrees
    strict = compare_logged(served, off, key="user_id", valid_time="valid_from", atol=0.0)
    assert strict.failing == ["x"] and strict.summary.set_index("feature").loc["x", "mismatches"] == 4
    ev = [f for f in strict if f.check == "logs.values"][0].evidence
    assert ev["atol"] == 0.0 and ev["max_abs_diff"] == pytest.approx(3e-16)
    with pytest.raises(ValueError, match="atol"):
        compare_logged(served, off, key="user_id", valid_time="valid_from", atol=-1.0)


def test_served_age_mean_does_not_overflow():
    "Ages are summed exactly: 12 requests served a value 34 years old sum past int64's nanoseconds (9.2e18 ns is 292 years)."
    off = pd.DataFrame({"user_id": [1], "valid_from": [pd.Timestamp("1990-01-01")], "x": [1.0]})
    log = pd.DataFrame({"user_id": 1, "request_time": pd.Timestamp("2024-01-01") + pd.to_timedelta(range(12), unit="h"), "x": 1.0})
    row = compare_logged(log, off, key="user_id", valid_time="valid_from").summary.set_index("feature").loc["x"]
    want = (log.request_time - off.valid_from[0]).mean()
    assert row.served_age_mean == want.round("s") and row.served_age_max == (log.request_time - off.valid_from[0]).max()
