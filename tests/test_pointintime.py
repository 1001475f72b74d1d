"""`mlparity.pointintime` against a brute-force loop, on random data with ties, empty histories, labels before any
event, unsorted input, several labels per key and windows; bad inputs; `find_future_leakage` on leaky and
point-in-time features."""
import json, math
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from mlparity.pointintime import as_of_aggregate, find_future_leakage, LeakageReport, AGGREGATIONS
from mlparity._asof import _argsort_composite

T0 = pd.Timestamp("2025-01-01")
ALL_AGGS = {f"{fn}_amount": ("amount", fn) for fn in AGGREGATIONS}


def brute(events, labels, key, event_time, label_time, aggs, window=None, closed="left"):
    "One label at a time, the obvious way."
    keys = [key] if isinstance(key, str) else list(key)
    rows = []
    for _, lab in labels.iterrows():
        t = lab[label_time]
        m = np.ones(len(events), bool)
        for k in keys: m &= (events[k] == lab[k]).to_numpy(dtype=bool, na_value=False)
        # pandas' meanings: "right" (t-w, t], "left" [t-w, t), "both" [t-w, t], "neither" (t-w, t)
        end_in, start_in = closed in ("right", "both"), closed in ("left", "both")
        m &= ((events[event_time] <= t) if end_in else (events[event_time] < t)).to_numpy()
        if window is not None:
            start = t - pd.Timedelta(window)
            m &= ((events[event_time] >= start) if start_in else (events[event_time] > start)).to_numpy()
        sub = events[m]
        r = {}
        for name, (col, fn) in aggs.items():
            v = sub[col]; nn = v.dropna()
            if fn == "size": r[name] = len(v)
            elif fn == "count": r[name] = len(nn)
            elif fn == "nunique": r[name] = nn.nunique()
            elif len(nn) == 0: r[name] = np.nan
            else: r[name] = float(getattr(nn.astype(float), fn)())
        rows.append(r)
    return pd.DataFrame(rows, index=labels.index, columns=list(aggs))


def random_case(rng, n_ev, n_lab, n_keys=5, days=20, nan_frac=0.2, unit="us"):
    "Integer-day times (many ties), a few keys, missing amounts, labels before/after all events and for unseen keys."
    ev = pd.DataFrame({"user_id": rng.integers(0, n_keys, n_ev),
                       "ts": (T0 + pd.to_timedelta(rng.integers(0, days, n_ev), unit="D")).as_unit(unit),
                       "amount": np.where(rng.random(n_ev) < nan_frac, np.nan, rng.integers(0, 6, n_ev).astype(float))})
    lab = pd.DataFrame({"user_id": rng.integers(0, n_keys + 2, n_lab),
                        "label_time": (T0 + pd.to_timedelta(rng.integers(-3, days + 3, n_lab), unit="D")).as_unit(unit)},
                       index=rng.permutation(n_lab) * 10)
    return ev, lab


def check(ev, lab, key="user_id", aggs=ALL_AGGS, **kw):
    got = as_of_aggregate(ev, lab, key=key, event_time="ts", label_time="label_time", aggs=aggs, **kw)
    exp = brute(ev, lab, key, "ts", "label_time", aggs, **kw)
    pd.testing.assert_frame_equal(got, exp, check_dtype=False, rtol=1e-9)
    return got


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_ev=st.integers(0, 40), n_lab=st.integers(0, 12),
       window=st.sampled_from([None, "1D", "3D", pd.Timedelta(hours=36)]),
       closed=st.sampled_from(["left", "right", "both", "neither"]))
def test_matches_brute_force(seed, n_ev, n_lab, window, closed):
    ev, lab = random_case(np.random.default_rng(seed), n_ev, n_lab)
    check(ev, lab, window=window, closed=closed)


@pytest.mark.parametrize("window", [None, "2D"])
@pytest.mark.parametrize("closed", ["left", "right", "both", "neither"])
def test_many_labels_per_key_and_unsorted_events(window, closed):
    rng = np.random.default_rng(1)
    ev, lab = random_case(rng, 300, 60, n_keys=4)
    ev = ev.sample(frac=1, random_state=0)                         # unsorted, shuffled index
    got = check(ev, lab, window=window, closed=closed)
    test_sorted = check(ev.sort_values(["user_id", "ts"]), lab, window=window, closed=closed)
    pd.testing.assert_frame_equal(got, test_sorted)
    assert lab["user_id"].value_counts().max() > 5


def test_output_is_aligned_with_labels_and_keeps_every_row():
    rng = np.random.default_rng(2)
    ev, lab = random_case(rng, 50, 30)
    lab.index = pd.Index([f"r{i}" for i in range(len(lab))][::-1])
    got = check(ev, lab)
    assert got.index.equals(lab.index) and list(got.columns) == list(ALL_AGGS)
    empty = got["size_amount"] == 0
    assert empty.any()                                              # labels with no history are kept
    assert (got.loc[empty, "count_amount"] == 0).all() and (got.loc[empty, "nunique_amount"] == 0).all()
    assert got.loc[empty, ["sum_amount", "mean_amount", "min_amount", "max_amount"]].isna().all().all()


def test_ties_at_the_label_instant():
    ev = pd.DataFrame({"user_id": [1, 1, 1], "ts": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-02"]),
                       "amount": [1.0, 2.0, 3.0]})
    lab = pd.DataFrame({"user_id": [1], "label_time": pd.to_datetime(["2025-01-02"])})
    kw = dict(key="user_id", event_time="ts", label_time="label_time", aggs={"n": ("amount", "count")})
    assert as_of_aggregate(ev, lab, **kw)["n"].tolist() == [1]
    assert as_of_aggregate(ev, lab, closed="both", **kw)["n"].tolist() == [3]
    assert as_of_aggregate(ev, lab, closed="right", **kw)["n"].tolist() == [3]
    assert as_of_aggregate(ev, lab, closed="neither", **kw)["n"].tolist() == [1]
    # pandas' meanings at the window's start: an event exactly `window` before the label is in for "left" and
    # "both" ([t-w, ...), out for "right" and "neither" ((t-w, ...)
    assert as_of_aggregate(ev, lab, closed="both", window="1D", **kw)["n"].tolist() == [3]
    assert as_of_aggregate(ev, lab, closed="right", window="1D", **kw)["n"].tolist() == [2]
    assert as_of_aggregate(ev, lab, closed="left", window="1D", **kw)["n"].tolist() == [1]
    assert as_of_aggregate(ev, lab, closed="neither", window="1D", **kw)["n"].tolist() == [0]
    assert as_of_aggregate(ev, lab, window="1D", **kw)["n"].tolist() == [1]          # the default is "left"


@pytest.mark.parametrize("closed", ["left", "right", "both", "neither"])
@pytest.mark.parametrize("window", ["2D", "36h", "1D"])
def test_closed_matches_pandas_rolling(closed, window):
    "At each event's own time, with the event's own row as the label, the counts and sums are pandas' `rolling`."
    rng = np.random.default_rng(21)
    n = 200
    ev = pd.DataFrame({"user_id": 0, "ts": T0 + pd.to_timedelta(np.sort(rng.integers(0, 40, n)) * 12, unit="h"),
                       "amount": rng.integers(0, 9, n).astype(float)})
    lab = ev[["user_id"]].assign(label_time=ev["ts"])
    got = as_of_aggregate(ev, lab, key="user_id", event_time="ts", label_time="label_time", window=window, closed=closed,
                          aggs={"n": ("amount", "count"), "s": ("amount", "sum")})
    roll = ev.set_index("ts")["amount"].rolling(window, closed=closed)
    # pandas evaluates a row's window with the rows up to it, ties after it excluded: compare at the last row of each time
    last = ~ev["ts"].duplicated(keep="last").to_numpy()
    np.testing.assert_array_equal(got["n"].to_numpy()[last], roll.count().fillna(0).to_numpy()[last])
    np.testing.assert_allclose(got["s"].to_numpy()[last], roll.sum().to_numpy()[last])   # NaN for an empty window, as ours


def test_multi_column_and_string_keys():
    rng = np.random.default_rng(3)
    ev, lab = random_case(rng, 80, 25)
    ev["shop"] = np.array(["north", "south"])[rng.integers(0, 2, len(ev))]
    lab["shop"] = np.array(["north", "south", "west"])[rng.integers(0, 3, len(lab))]
    check(ev, lab, key=["user_id", "shop"], window="4D")
    ev["user_id"] = "u" + ev["user_id"].astype(str); lab["user_id"] = "u" + lab["user_id"].astype(str)
    check(ev, lab, key="user_id")


def test_other_value_dtypes():
    "Nullable floats and integers, booleans, and counting a non-numeric column."
    ev, lab = random_case(np.random.default_rng(16), 60, 20)
    ref = check(ev, lab, window="3D")
    got = as_of_aggregate(ev.assign(amount=ev["amount"].astype("Float64")), lab, key="user_id", event_time="ts",
                          label_time="label_time", aggs=ALL_AGGS, window="3D")
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    ev["flag"] = ev["amount"].fillna(0) > 2
    ev["label"] = np.where(ev["amount"].isna(), None, ev["amount"].astype(str))
    check(ev, lab, aggs={"f": ("flag", "sum"), "hi": ("flag", "max"), "n": ("label", "count"), "u": ("label", "nunique")})


def test_missing_keys_match_nothing():
    ev, lab = random_case(np.random.default_rng(4), 40, 10)
    ev["user_id"] = ev["user_id"].astype("Int64"); ev.loc[ev.index[:5], "user_id"] = pd.NA
    lab["user_id"] = lab["user_id"].astype("Int64"); lab.loc[lab.index[:2], "user_id"] = pd.NA
    got = check(ev, lab)
    assert (got.iloc[:2]["size_amount"] == 0).all()


def test_units_and_time_zones_are_reconciled():
    ev, lab = random_case(np.random.default_rng(5), 60, 20)
    ref = check(ev, lab, window="2D")
    got = as_of_aggregate(ev.assign(ts=ev["ts"].dt.as_unit("s")), lab.assign(label_time=lab["label_time"].dt.as_unit("ns")),
                          key="user_id", event_time="ts", label_time="label_time", aggs=ALL_AGGS, window="2D")
    pd.testing.assert_frame_equal(got, ref)
    ev_tz = ev.assign(ts=ev["ts"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))
    lab_tz = lab.assign(label_time=lab["label_time"].dt.tz_localize("UTC").dt.tz_convert("America/New_York"))
    got = as_of_aggregate(ev_tz, lab_tz, key="user_id", event_time="ts", label_time="label_time", aggs=ALL_AGGS, window="2D")
    pd.testing.assert_frame_equal(got, ref)


def test_odd_windows_and_sub_unit_times():
    rng = np.random.default_rng(6)
    n = 200
    ev = pd.DataFrame({"user_id": rng.integers(0, 3, n), "amount": rng.random(n),
                       "ts": (T0 + pd.to_timedelta(rng.integers(0, 10**6, n), unit="us")).as_unit("us")})
    lab = pd.DataFrame({"user_id": rng.integers(0, 3, 40),
                        "label_time": (T0 + pd.to_timedelta(rng.integers(0, 10**6, 40), unit="us")).as_unit("us")})
    for w in [pd.Timedelta(microseconds=12345), pd.Timedelta(nanoseconds=123_456_789), pd.Timedelta(milliseconds=250)]:
        check(ev, lab, window=w, closed="both")


def test_huge_time_span_falls_back_to_ranks():
    "Nanosecond times over a century with many keys: the composite key would overflow int64, so times are ranked."
    rng = np.random.default_rng(7)
    n = 300
    t = pd.to_datetime(rng.integers(pd.Timestamp("1900-01-01").value, pd.Timestamp("2000-01-01").value, n) | 1)
    ev = pd.DataFrame({"user_id": rng.integers(0, 50, n), "ts": t.as_unit("ns"), "amount": rng.random(n)})
    lab = ev.sample(80, random_state=1).rename(columns={"ts": "label_time"})[["user_id", "label_time"]]
    check(ev, lab, window=pd.Timedelta(days=365 * 20))
    check(ev, lab, closed="both")
    # more than 2**62 ns between the first and last time cannot be shifted into int64 safely: a clear error
    far = ev.assign(ts=ev["ts"].where(ev.index != 0, pd.Timestamp("1680-01-01")))
    with pytest.raises(ValueError, match="coarser unit"):
        as_of_aggregate(far, lab.assign(label_time=pd.Timestamp("2260-01-01")), key="user_id", event_time="ts",
                        label_time="label_time", aggs={"n": ("amount", "count")})


@pytest.mark.parametrize("top", [2**20, 2**45, 2**62])
def test_argsort_composite(top):
    a = np.random.default_rng(8).integers(0, top, 5000)
    order, s = _argsort_composite(a, top)
    np.testing.assert_array_equal(s, np.sort(a)); np.testing.assert_array_equal(a[order], s)
    assert len(np.unique(order)) == len(a)


def test_float_sums_stay_accurate_on_large_tables():
    "Running sums restart per key: small spenders stay exact after a key with huge amounts, and over a million rows."
    rng = np.random.default_rng(9)
    n = 1_000_000
    ev = pd.DataFrame({"user_id": np.sort(rng.integers(0, 1000, n)), "ts": T0 + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
                       "amount": rng.random(n)})
    ev.loc[ev["user_id"] == 0, "amount"] *= 1e13                      # one key with enormous amounts comes first
    lab = pd.DataFrame({"user_id": np.arange(1000), "label_time": pd.Timestamp("2030-01-01")})
    got = as_of_aggregate(ev, lab, key="user_id", event_time="ts", label_time="label_time", aggs={"s": ("amount", "sum")})
    exp = [math.fsum(g) for _, g in ev.groupby("user_id")["amount"]]
    np.testing.assert_allclose(got["s"].to_numpy(), exp, rtol=1e-12)


def test_empty_inputs():
    ev, lab = random_case(np.random.default_rng(10), 30, 10)
    got = as_of_aggregate(ev.iloc[:0], lab, key="user_id", event_time="ts", label_time="label_time", aggs=ALL_AGGS)
    assert (got["count_amount"] == 0).all() and got["sum_amount"].isna().all() and got.index.equals(lab.index)
    got = as_of_aggregate(ev, lab.iloc[:0], key="user_id", event_time="ts", label_time="label_time", aggs=ALL_AGGS)
    assert len(got) == 0 and list(got.columns) == list(ALL_AGGS)
    got = as_of_aggregate(ev.iloc[:0], lab.iloc[:0], key="user_id", event_time="ts", label_time="label_time", aggs=ALL_AGGS)
    assert len(got) == 0


def _bad_cases():
    ev, lab = random_case(np.random.default_rng(11), 20, 5)
    kw = dict(key="user_id", event_time="ts", label_time="label_time", aggs={"n": ("amount", "count")})
    nat = ev.copy(); nat.loc[nat.index[3], "ts"] = pd.NaT
    lnat = lab.copy(); lnat.loc[lnat.index[0], "label_time"] = pd.NaT
    inf = ev.assign(amount=ev["amount"].fillna(np.inf))
    return [
        ("missing key column in events", (ev.drop(columns="user_id"), lab), kw, KeyError, "missing from events"),
        ("missing label time", (ev, lab.drop(columns="label_time")), kw, KeyError, "missing from labels"),
        ("missing aggregated column", (ev, lab), {**kw, "aggs": {"s": ("price", "sum")}}, KeyError, "'price'"),
        ("unknown aggregation", (ev, lab), {**kw, "aggs": {"s": ("amount", "median")}}, ValueError, "unknown aggregation"),
        ("aggs not named pairs", (ev, lab), {**kw, "aggs": {"s": "sum"}}, TypeError, "(column, function)"),
        ("empty aggs", (ev, lab), {**kw, "aggs": {}}, TypeError, "non-empty dict"),
        ("sum of strings", (ev.assign(amount="x"), lab), {**kw, "aggs": {"s": ("amount", "sum")}}, TypeError, "numeric"),
        ("times as strings", (ev.assign(ts=ev["ts"].astype(str)), lab), kw, TypeError, "pd.to_datetime"),
        ("NaT in events", (nat, lab), kw, ValueError, "NaT"),
        ("NaT in labels", (ev, lnat), kw, ValueError, "labels['label_time']"),
        ("aware events, naive labels", (ev.assign(ts=ev["ts"].dt.tz_localize("UTC")), lab), kw, TypeError, "tz-naive"),
        ("naive events, aware labels", (ev, lab.assign(label_time=lab["label_time"].dt.tz_localize("UTC"))), kw, TypeError, "tz-aware"),
        ("negative window", (ev, lab), {**kw, "window": "-1D"}, ValueError, "positive"),
        ("window not a duration", (ev, lab), {**kw, "window": "soon"}, TypeError, "Timedelta"),
        ("bad closed", (ev, lab), {**kw, "closed": "open"}, ValueError, "closed must be one of 'right' (t-window, t], 'left' [t-window, t)"),
        ("closed not a string", (ev, lab), {**kw, "closed": None}, ValueError, "as in pandas' rolling"),
        ("window a bare int", (ev, lab), {**kw, "window": 3}, TypeError, "window=3 has no unit (pandas would read it as 3 nanoseconds)"),
        ("window a bare float", (ev, lab), {**kw, "window": 2.5}, TypeError, "window=2.5 has no unit"),
        ("window a numpy int", (ev, lab), {**kw, "window": np.int64(7)}, TypeError, "has no unit"),
        ("window a number in a string", (ev, lab), {**kw, "window": "30"}, TypeError, "window='30' has no unit"),
        ("window a bool", (ev, lab), {**kw, "window": True}, TypeError, "has no unit"),
        ("window a unitless numpy timedelta", (ev, lab), {**kw, "window": np.timedelta64(3)}, TypeError, "without a unit"),
        ("window a bare int with kind of a unit", (ev, lab), {**kw, "window": np.uint8(3)}, TypeError, "has no unit"),
        ("window in months", (ev, lab), {**kw, "window": "1M"}, TypeError, "window must be a duration"),
        ("window zero", (ev, lab), {**kw, "window": "0s"}, ValueError, "window must be a positive duration"),
        ("window NaT", (ev, lab), {**kw, "window": "nan"}, ValueError, "positive duration"),
        ("window a date", (ev, lab), {**kw, "window": pd.Timestamp("2025-01-01")}, TypeError, "window must be a duration"),
        ("aggregation not a string", (ev, lab), {**kw, "aggs": {"s": ("amount", ["sum"])}}, ValueError, "unknown aggregation"),
        ("empty key list", (ev, lab), {**kw, "key": []}, ValueError, "`key` is empty"),
        ("key named twice", (ev, lab), {**kw, "key": ["user_id", "user_id"]}, ValueError, "names a column twice"),
        ("labels not a frame", (ev, lab["label_time"]), kw, TypeError, "labels must be a pandas DataFrame"),
        ("key types differ", (ev, lab.assign(user_id=lab["user_id"].astype(str))), kw, TypeError, "cast one side"),
        ("key numbers against text", (ev, lab.assign(user_id="u" + lab["user_id"].astype(str))), kw, TypeError,
         "holds integer values (int64) in events but string values"),
        ("sum of complex numbers", (ev.assign(amount=ev["amount"] + 1j), lab), {**kw, "aggs": {"s": ("amount", "sum")}}, TypeError,
         "needs a numeric column (real numbers), but events['amount'] holds complex values"),
        ("infinite amounts", (inf, lab), {**kw, "aggs": {"s": ("amount", "sum")}}, ValueError, "infinite"),
        ("not a frame", (ev.to_dict(), lab), kw, TypeError, "events must be a pandas DataFrame"),
    ]


@pytest.mark.parametrize("name,args,kw,exc,msg", _bad_cases(), ids=[c[0] for c in _bad_cases()])
def test_bad_input(name, args, kw, exc, msg):
    with pytest.raises(exc, match=None) as e: as_of_aggregate(*args, **kw)
    assert msg in str(e.value), str(e.value)


# ---- find_future_leakage -------------------------------------------------------------------------------------

def as_of_features(window=None, closed="left"):
    def fn(events, labels):
        return as_of_aggregate(events, labels, key="user_id", event_time="ts", label_time="label_time",
                               aggs={"n": ("amount", "size"), "spend": ("amount", "sum"), "top": ("amount", "max")},
                               window=window, closed=closed)
    return fn


def leaky_total(events, labels):
    return pd.DataFrame({"total": labels["user_id"].map(events.groupby("user_id").size()).fillna(0).to_numpy()},
                        index=labels.index)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), window=st.sampled_from([None, "2D"]),
       closed=st.sampled_from(["left", "right", "both", "neither"]),
       max_rounds=st.sampled_from([1, 2, 8]))
def test_point_in_time_features_never_move(seed, window, closed, max_rounds):
    "Several labels per key at different times: perturbing only what lies after each round's cutoff never moves an as-of feature."
    ev, lab = random_case(np.random.default_rng(seed), 60, 25, n_keys=3)
    rep = find_future_leakage(as_of_features(window, closed), ev, lab, key="user_id", event_time="ts", label_time="label_time",
                              max_rounds=max_rounds)
    assert rep.ok and rep.leaky == [], str(rep)
    leaky = find_future_leakage(leaky_total, ev, lab, key="user_id", event_time="ts", label_time="label_time",
                                max_rounds=max_rounds)
    # documented coverage: a label's future is perturbed after the latest label time of its round (its own time
    # when the key has at most `max_rounds` distinct label times); the leaky total moves iff such events exist
    rnd = lab.groupby("user_id")["label_time"].rank(method="dense").astype(int).clip(upper=max_rounds)
    cutoff = lab.groupby([lab["user_id"], rnd])["label_time"].transform("max").to_numpy()
    has_future = (cutoff[:, None] < ev["ts"].to_numpy()[None, :]) & \
                 (lab["user_id"].to_numpy()[:, None] == ev["user_id"].to_numpy()[None, :])
    assert leaky.leaky == (["total"] if has_future.any() else []), str(leaky)


def test_leaky_feature_is_flagged_and_as_of_passes():
    ev, lab = random_case(np.random.default_rng(12), 200, 40, n_keys=4)
    both = lambda e, l: pd.concat([as_of_features()(e, l), leaky_total(e, l)], axis=1)
    rep = find_future_leakage(both, ev, lab, key="user_id", event_time="ts", label_time="label_time")
    assert isinstance(rep, LeakageReport) and not rep.ok and rep.failing == ["total"], str(rep)
    assert rep.leaky == rep.failing                                     # the domain word is an alias
    assert all(f.check.startswith("pointintime.") for f in rep)
    t = rep.tables["labels moved per perturbation"].set_index("feature")
    assert t.loc["total", "labels_moved"] > 0 and t.loc["n", "labels_moved"] == 0
    json.loads(rep.to_json())                                           # evidence is JSON-able


def test_every_label_round_is_checked():
    "A feature that leaks only for a key's second label is caught: each label's own future is perturbed."
    ev = pd.DataFrame({"user_id": [1, 1, 1], "ts": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-09"]), "amount": 1.0})
    lab = pd.DataFrame({"user_id": [1, 1], "label_time": pd.to_datetime(["2025-01-02", "2025-01-06"])})
    def second_leaks(events, labels):
        n = as_of_aggregate(events, labels, key="user_id", event_time="ts", label_time="label_time", aggs={"n": ("amount", "size")})["n"]
        late = labels["label_time"] > "2025-01-03"
        return pd.DataFrame({"f": np.where(late, len(events), n)}, index=labels.index)
    rep = find_future_leakage(second_leaks, ev, lab, key="user_id", event_time="ts", label_time="label_time")
    assert rep.leaky == ["f"]


def test_multi_column_keys_in_leakage():
    ev, lab = random_case(np.random.default_rng(17), 120, 30)
    ev["shop"] = np.where(ev.index % 2 == 0, "north", "south"); lab["shop"] = np.where(lab.index % 20 == 0, "north", "south")
    kw = dict(key=["user_id", "shop"], event_time="ts", label_time="label_time")
    as_of = lambda e, l: as_of_aggregate(e, l, aggs={"n": ("amount", "size")}, **kw)
    total = lambda e, l: pd.DataFrame({"total": l.merge(e.groupby(["user_id", "shop"]).size().rename("t").reset_index(),
                                                        how="left", on=["user_id", "shop"])["t"].fillna(0).to_numpy()}, index=l.index)
    assert find_future_leakage(as_of, ev, lab, **kw).ok
    assert find_future_leakage(total, ev, lab, **kw).leaky == ["total"]


def test_cross_key_leakage_is_caught_by_the_last_round():
    ev, lab = random_case(np.random.default_rng(13), 100, 20)
    ev = pd.concat([ev, ev.assign(ts=ev["ts"] + pd.Timedelta(days=60), user_id=99)])   # another key's future
    popularity = lambda e, l: pd.DataFrame({"all_events": np.full(len(l), len(e))}, index=l.index)
    rep = find_future_leakage(popularity, ev, lab, key="user_id", event_time="ts", label_time="label_time")
    assert rep.leaky == ["all_events"]


def test_shift_catches_a_feature_that_reads_when_the_future_happens():
    ev, lab = random_case(np.random.default_rng(14), 100, 20)
    def recency_of_data(e, l):     # "purchases in the last 5 days of the data": depends on the future's timing
        recent = e[e["ts"] > e["ts"].max() - pd.Timedelta(days=5)].groupby("user_id").size()
        return pd.DataFrame({"recent": l["user_id"].map(recent).fillna(0).to_numpy()}, index=l.index)
    rep = find_future_leakage(recency_of_data, ev, lab, key="user_id", event_time="ts", label_time="label_time",
                              perturbations=["shift"])
    assert rep.leaky == ["recent"]


def test_leakage_bad_inputs_and_empty_cases():
    ev, lab = random_case(np.random.default_rng(15), 50, 10)
    kw = dict(key="user_id", event_time="ts", label_time="label_time")
    with pytest.raises(ValueError, match="one row per label"): find_future_leakage(lambda e, l: l.head(1), ev, lab, **kw)
    with pytest.raises(TypeError, match="DataFrame"): find_future_leakage(lambda e, l: 3, ev, lab, **kw)
    with pytest.raises(ValueError, match="unknown perturbation"): find_future_leakage(leaky_total, ev, lab, perturbations=["x"], **kw)
    with pytest.raises(ValueError, match="non-empty list"): find_future_leakage(leaky_total, ev, lab, perturbations=[], **kw)
    with pytest.raises(ValueError, match="max_rounds"): find_future_leakage(leaky_total, ev, lab, max_rounds=0, **kw)
    with pytest.raises(KeyError, match="missing from labels"): find_future_leakage(leaky_total, ev, lab.drop(columns="label_time"), **kw)
    with pytest.raises(TypeError, match="tz-naive"):
        find_future_leakage(leaky_total, ev.assign(ts=ev["ts"].dt.tz_localize("UTC")), lab, **kw)
    rep = find_future_leakage(leaky_total, ev, lab.iloc[:0], **kw)
    assert rep.ok and len(rep.warnings) == 1
    rep = find_future_leakage(leaky_total, ev, lab.assign(label_time=pd.Timestamp("2030-01-01")), **kw)
    assert rep.ok and "no event lies after" in rep.warnings[0].message


def _leakage_bad_cases():
    ev, lab = random_case(np.random.default_rng(18), 40, 8)
    kw = dict(key="user_id", event_time="ts", label_time="label_time")
    return [
        ("feature_fn not callable", ("total", ev, lab), kw, TypeError, "feature_fn must be a function"),
        ("events not a frame", (leaky_total, ev.to_numpy(), lab), kw, TypeError, "events must be a pandas DataFrame"),
        ("missing event time", (leaky_total, ev.drop(columns="ts"), lab), kw, KeyError, "['ts'] missing from events"),
        ("missing key in labels", (leaky_total, ev, lab.drop(columns="user_id")), kw, KeyError, "['user_id'] missing from labels"),
        ("perturbations a string", (leaky_total, ev, lab), {**kw, "perturbations": "drop"}, ValueError, "non-empty list"),
        ("perturbations None", (leaky_total, ev, lab), {**kw, "perturbations": None}, ValueError, "non-empty list"),
        ("max_rounds a bool", (leaky_total, ev, lab), {**kw, "max_rounds": True}, ValueError, "max_rounds must be a positive integer"),
        ("max_rounds a float", (leaky_total, ev, lab), {**kw, "max_rounds": 2.0}, ValueError, "max_rounds must be a positive integer"),
        ("shift a bare number", (leaky_total, ev, lab), {**kw, "shift": 30}, TypeError, "shift=30 has no unit"),
        ("shift negative", (leaky_total, ev, lab), {**kw, "shift": "-1D"}, ValueError, "shift must be a positive duration"),
        ("shift not a duration", (leaky_total, ev, lab), {**kw, "shift": "later"}, TypeError, "shift must be a duration"),
        ("times as strings", (leaky_total, ev.assign(ts=ev["ts"].astype(str)), lab), kw, TypeError, "pd.to_datetime"),
        ("NaT in labels", (leaky_total, ev, lab.assign(label_time=pd.NaT).astype({"label_time": "datetime64[us]"})), kw,
         ValueError, "missing time(s) (NaT)"),
        ("key types differ", (leaky_total, ev, lab.assign(user_id=lab["user_id"].astype(str))), kw, TypeError, "cast one side"),
        ("empty key", (leaky_total, ev, lab), {**kw, "key": []}, ValueError, "`key` is empty"),
        ("features missing a column after a perturbation",
         (lambda e, l: pd.DataFrame({f"n{len(e)}": 0}, index=l.index), ev, lab), kw, ValueError, "returned no column"),
    ]


@pytest.mark.parametrize("name,args,kw,exc,msg", _leakage_bad_cases(), ids=[c[0] for c in _leakage_bad_cases()])
def test_leakage_bad_input(name, args, kw, exc, msg):
    with pytest.raises(exc) as e: find_future_leakage(*args, **kw)
    assert msg in str(e.value), str(e.value)


def test_window_units_are_required_everywhere():
    "The Dask path checks its arguments with the same kernel, so a bare-number window is refused there too."
    ev, lab = random_case(np.random.default_rng(19), 20, 5)
    kw = dict(key="user_id", event_time="ts", label_time="label_time", aggs={"n": ("amount", "count")})
    from mlparity._asof import as_of_pandas
    for call in (as_of_aggregate, as_of_pandas):
        with pytest.raises(TypeError, match="has no unit"): call(ev, lab, window=30, **kw)
        pd.testing.assert_frame_equal(call(ev, lab, window="30D", **kw), call(ev, lab, window=pd.Timedelta(days=30), **kw))


def test_integers_beyond_float_precision_are_refused_not_rounded():
    "Results are float64: an int64 value (or a key's sum) past 2**53 would be rounded silently, so it is an error."
    ev = pd.DataFrame({"user_id": [1, 1], "ts": pd.to_datetime(["2025-01-01", "2025-01-02"]), "amount": [2**53 + 1, 1]})
    lab = pd.DataFrame({"user_id": [1], "label_time": pd.to_datetime(["2025-01-03"])})
    kw = dict(key="user_id", event_time="ts", label_time="label_time")
    for fn in ("max", "min", "sum", "mean"):
        with pytest.raises(ValueError, match="beyond which float64"): as_of_aggregate(ev, lab, aggs={"x": ("amount", fn)}, **kw)
    assert as_of_aggregate(ev, lab, aggs={"n": ("amount", "count"), "u": ("amount", "nunique")}, **kw).iloc[0].tolist() == [2, 2]
    big = ev.assign(amount=[2**52, 2**52])                     # each value exact, their sum reaches 2**53
    with pytest.raises(ValueError, match="sums over one key reach 2\\*\\*53"): as_of_aggregate(big, lab, aggs={"s": ("amount", "sum")}, **kw)
    assert as_of_aggregate(big, lab, aggs={"m": ("amount", "max")}, **kw)["m"].tolist() == [2.0**52]
    two_keys = pd.concat([big.iloc[:1], big.iloc[1:].assign(user_id=2)])   # 2**52 each, on two keys: exact
    got = as_of_aggregate(two_keys, lab, aggs={"s": ("amount", "sum")}, **kw)
    assert got["s"].tolist() == [2.0**52]
    na = ev.assign(amount=pd.array([pd.NA, pd.NA], dtype="Int64"))   # nothing present: NaN, not an error
    assert as_of_aggregate(na, lab, aggs={"s": ("amount", "sum"), "m": ("amount", "max")}, **kw).isna().all().all()
    ok = ev.assign(amount=ev["amount"].astype(float))          # converted by the user: rounding accepted
    assert as_of_aggregate(ok, lab, aggs={"s": ("amount", "max")}, **kw)["s"].tolist() == [float(2**53)]


def test_object_column_of_ints_is_a_numeric_key():
    "Keys classified by the ground floor's column_kind: an object column of Python ints matches int64 keys."
    ev, lab = random_case(np.random.default_rng(20), 50, 12)
    ref = check(ev, lab, window="3D")
    got = as_of_aggregate(ev.assign(user_id=ev["user_id"].astype(object)), lab, key="user_id", event_time="ts",
                          label_time="label_time", aggs=ALL_AGGS, window="3D")
    pd.testing.assert_frame_equal(got, ref)
    dec = ev.assign(amount=[None if np.isnan(a) else __import__("decimal").Decimal(str(a)) for a in ev["amount"]])
    got = as_of_aggregate(dec, lab, key="user_id", event_time="ts", label_time="label_time",
                          aggs={"s": ("amount", "sum"), "n": ("amount", "count")}, window="3D")
    np.testing.assert_allclose(got["s"].to_numpy(), ref["sum_amount"].to_numpy(), equal_nan=True)


def test_leakage_on_dask_frames_says_what_to_do():
    dd = pytest.importorskip("dask.dataframe")
    ev, lab = random_case(np.random.default_rng(22), 30, 6)
    with pytest.raises(TypeError, match="needs pandas frames: take a sample of keys and `.compute"):
        find_future_leakage(leaky_total, dd.from_pandas(ev, npartitions=2), lab, key="user_id", event_time="ts",
                            label_time="label_time")
