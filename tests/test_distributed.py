"""mlparity.distributed: on the same data, Dask and pandas give equal reports (parity, drift, as-of aggregates),
with keys split across partitions, empty partitions and skewed keys; bad input; the core never imports Dask."""
import logging, subprocess, sys

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from mlparity.distributed import compare_frames_dask, profile_dask, as_of_aggregate_dask
from mlparity.parity import compare_frames
from mlparity.drift import Profile, drift_report
from mlparity.pointintime import as_of_aggregate

K = "user_id"


@pytest.fixture(scope="module", autouse=True)
def client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    c = distributed.Client(cluster)
    yield c
    c.close(); cluster.close()


def ddf(df, n, sort=False):
    return dd.from_pandas(df, npartitions=n, sort=sort)


def with_empty(d):
    "A Dask frame of `d` in which some partitions are empty (rows filtered away after partitioning)."
    x = dd.from_pandas(d.assign(_keep=np.arange(len(d)) >= len(d) // 2), npartitions=4, sort=False)
    return x[x["_keep"]].drop(columns="_keep")


def same_parity(off, on, key=K, n_off=3, n_on=2, npartitions=None, **kw):
    a, b = ddf(off, n_off), ddf(on, n_on)
    got = compare_frames_dask(a, b, key, npartitions=npartitions, **kw)
    want = compare_frames(a.compute(), b.compute(), key, **kw)     # Dask may store strings as string[pyarrow]
    assert got.to_dict() == want.to_dict()
    return got


def frames(seed, n=300, rate=0.2):
    rng = np.random.default_rng(seed)
    off = pd.DataFrame({K: rng.permutation(n * 3)[:n], "x": rng.normal(size=n), "i": rng.integers(0, 9, n),
                        "s": rng.choice(["a", "b", "c"], n), "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "s")})
    on = off.sample(frac=0.9, random_state=seed).copy()
    bad = rng.random(len(on)) < rate
    on.loc[bad, "x"] = on.loc[bad, "x"] * 3
    on.loc[rng.random(len(on)) < rate / 2, "s"] = "z"
    on.loc[rng.random(len(on)) < rate / 4, "t"] += pd.Timedelta("1h")
    on.loc[rng.random(len(on)) < 0.05, "x"] = np.nan
    extra = pd.DataFrame({K: n * 3 + np.arange(7), "x": 1.0, "i": 1, "s": "a", "t": pd.Timestamp("2024-01-01")})
    return off, pd.concat([on, extra], ignore_index=True)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("parts", [(1, 1), (3, 2), (7, 5)])
def test_parity_equal_keys_split(seed, parts):
    off, on = frames(seed)
    rep = same_parity(off, on, n_off=parts[0], n_on=parts[1])
    assert "x" in rep.failing and "s" in rep.failing


def test_parity_more_partitions_than_keys():
    off, on = frames(0, n=5)
    same_parity(off, on, n_off=2, n_on=2, npartitions=16)          # most shuffled partitions are empty


def test_parity_empty_input_partitions():
    off, on = frames(1)
    got = compare_frames_dask(with_empty(off), with_empty(on), K)
    assert got.to_dict() == compare_frames(with_empty(off).compute(), with_empty(on).compute(), K).to_dict()


def test_parity_options_and_odd_columns():
    off, on = frames(2)
    on = on.assign(i=on["i"].astype("float64"), only_online=1.0)   # dtype differs; a column on one side only
    off = off.assign(o=pd.Series([None] * len(off), dtype=object))  # an object column with nothing in it
    on = on.assign(o=pd.Series(np.where(np.arange(len(on)) % 2, "q", None), dtype=object))
    same_parity(off, on, n_off=4, n_on=3, rtol=1e-3, max_examples=2, missing_keys="warning", sides=("train", "serve"))
    same_parity(off, on, n_off=4, n_on=3, columns=["x", "s"])
    same_parity(off, on.assign(s=on["s"].str.upper() + " "), n_off=4, n_on=3, ignore_case=True, ignore_spaces=True, atol=0)


def test_parity_incomparable_and_infinite():
    off = pd.DataFrame({K: range(8), "a": [1.0, np.inf, 2, 3, 4, 5, 6, 7], "b": list("abcdefgh")})
    on = pd.DataFrame({K: range(8), "a": [1.0, -np.inf, 2, 3, 4, 5, 6, 70], "b": range(8)})
    same_parity(off, on, n_off=3, n_on=3)
    same_parity(off.iloc[:3], on.iloc[:3], n_off=3, n_on=3)       # only an infinite difference: max_abs_diff inf


def test_parity_keys_int_float_string_multi():
    off, on = frames(3)
    same_parity(off, on.assign(**{K: on[K].astype("float64")}))     # 3 and 3.0 match, in one partition
    s_off, s_on = off.assign(**{K: "u" + off[K].astype(str)}), on.assign(**{K: "u" + on[K].astype(str)})
    same_parity(s_off, s_on)
    m_off, m_on = off.assign(day=off[K] % 3), on.assign(day=on[K] % 3)
    same_parity(m_off, m_on, key=[K, "day"])
    same_parity(off.set_index(K), on, n_off=2)                      # key as the index


def test_parity_skewed_duplicates_same_finding():
    "Duplicate keys (one key 201 times) are the same finding on Dask as on pandas, and the other keys are still compared."
    off, on = frames(4)
    skew = pd.concat([off, off[off[K] == off[K].iloc[0]].iloc[[0] * 200], off.iloc[5:12]], ignore_index=True)
    a, b = ddf(skew, 5), ddf(on, 2)
    want = compare_frames(a.compute(), b.compute(), K)              # Dask may store strings as string[pyarrow]
    assert compare_frames_dask(a, b, K).to_dict() == want.to_dict()
    dup = next(f for f in want.errors if f.check == "parity.duplicates")
    assert "8 duplicate key(s)" in dup.message and "left out of the comparison" in dup.message
    assert "x" in want.failing


def test_parity_bad_input():
    off, on = frames(0, n=10)
    with pytest.raises(TypeError, match="offline must be a Dask or pandas DataFrame, got dict"): compare_frames_dask({K: [1]}, on, K)
    with pytest.raises(KeyError, match="key column 'uid' missing from offline"): compare_frames_dask(ddf(off, 2), on, "uid")
    with pytest.raises(KeyError, match=r"key column 'user_id' missing from online"):
        compare_frames_dask(off, ddf(on.rename(columns={K: "uid"}), 2), K)
    with pytest.raises(TypeError, match="keys of different types never match"):
        compare_frames_dask(off, on.assign(**{K: on[K].astype(str)}), K)
    with pytest.raises(ValueError, match="npartitions must be a positive integer"): compare_frames_dask(off, on, K, npartitions=0)
    with pytest.raises(ValueError, match="rtol and atol must be finite"): compare_frames_dask(off, on, K, rtol=-1)


def drift_data(seed, n=4000):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"x": rng.normal(size=n), "k": rng.integers(0, 3, n).astype(float), "c": rng.choice(list("abcd"), n)})
    ref.loc[rng.random(n) < 0.05, "x"] = np.nan
    skew = np.where(rng.random(n) < 0.9, 7.0, rng.normal(size=n))             # one value holds most rows
    cur = pd.DataFrame({"x": skew, "k": rng.integers(0, 3, n).astype(float), "c": rng.choice(list("abcde"), n)})
    return ref, cur


def same_profile(a:Profile, b:Profile):
    assert list(a.columns) == list(b.columns)
    for c, s in a.columns.items():
        t = b.columns[c]
        assert type(s) is type(t) and s == t, (c, s, t)   # summaries compare field by field, arrays by value


@pytest.mark.parametrize("parts", [1, 3, 8])
def test_profile_and_drift_equal(parts):
    ref, cur = drift_data(parts)
    same_profile(profile_dask(ddf(ref, parts)), Profile.from_frame(ref))
    for method in ("auto", ["ks", "psi", "js", "wasserstein"]):
        kw = dict(method=method) if method == "auto" else dict(method=method, columns=["x", "k"])
        got = drift_report(ddf(ref, parts), ddf(cur, parts + 1), **kw)
        want = drift_report(ref, cur, **kw)
        assert got.to_dict() == want.to_dict()
    assert "x" in got.drifted


def test_profile_empty_partitions_and_profiles_in():
    ref, cur = drift_data(9, n=500)
    same_profile(profile_dask(with_empty(ref)), Profile.from_frame(with_empty(ref).compute()))
    p = Profile.from_frame(ref)
    assert drift_report(p, ddf(cur, 3)).to_dict() == drift_report(ref, cur).to_dict()
    with pytest.raises(KeyError, match=r"column\(s\) \['nope'\] missing from reference"): profile_dask(ddf(ref, 2), ["nope"])
    with pytest.raises(TypeError, match="current must be a DataFrame or a Profile, got list"): drift_report(ref, [1])


def asof_data(seed, n_users=60, n_events=3000, integer=True):
    rng = np.random.default_rng(seed)
    users = np.where(rng.random(n_events) < 0.6, 0, rng.integers(0, n_users, n_events))   # user 0: most events
    amount = rng.integers(1, 500, n_events).astype(float) if integer else rng.lognormal(3, 1, n_events).round(2)
    amount[rng.random(n_events) < 0.05] = np.nan
    events = pd.DataFrame({K: users, "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, n_events), "s"),
                           "amount": amount, "cat": rng.choice(list("abcdef"), n_events)})
    m = 400
    labels = pd.DataFrame({K: np.where(rng.random(m) < 0.3, 0, rng.integers(0, n_users + 5, m)),   # some users without events
                           "lt": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100 * 86400, m), "s")},
                          index=pd.Index(rng.permutation(10 * m)[:m], name="label_id"))
    return events, labels


AGGS = {"n": ("amount", "count"), "size": ("amount", "size"), "spend": ("amount", "sum"), "avg": ("amount", "mean"),
        "lo": ("amount", "min"), "hi": ("amount", "max"), "cats": ("cat", "nunique")}


@pytest.mark.parametrize("window,closed", [(None, "left"), ("7D", "left"), ("30D", "both")])
@pytest.mark.parametrize("parts", [(1, 1), (4, 3), (9, 2)])
def test_as_of_equal_exact_on_integers(window, closed, parts):
    events, labels = asof_data(parts[0])
    kw = dict(key=K, event_time="t", label_time="lt", aggs=AGGS, window=window, closed=closed)
    got = as_of_aggregate_dask(ddf(events, parts[0]), ddf(labels, parts[1]), **kw)
    pd.testing.assert_frame_equal(got, as_of_aggregate(events, labels, **kw), check_exact=True)


def test_as_of_float_sums_to_rounding_and_empty_partitions():
    events, labels = asof_data(5, integer=False)
    kw = dict(key=K, event_time="t", label_time="lt", aggs=AGGS, window="14D")
    got = as_of_aggregate_dask(with_empty(events), with_empty(labels), npartitions=12, **kw)
    want = as_of_aggregate(with_empty(events).compute(), with_empty(labels).compute(), **kw)
    exact = ["n", "size", "lo", "hi", "cats"]
    pd.testing.assert_frame_equal(got[exact], want[exact], check_exact=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_as_of_pandas_inputs_and_bad_input():
    events, labels = asof_data(6)
    kw = dict(key=K, event_time="t", label_time="lt", aggs={"n": ("amount", "count")})
    pd.testing.assert_frame_equal(as_of_aggregate_dask(events, labels, npartitions=3, **kw), as_of_aggregate(events, labels, **kw))
    with pytest.raises(TypeError, match="labels must be a Dask or pandas DataFrame, got ndarray"):
        as_of_aggregate_dask(events, labels.to_numpy(), **kw)
    with pytest.raises(KeyError, match=r"column\(s\) \['user_id'\] missing from labels"):
        as_of_aggregate_dask(events, labels.rename(columns={K: "uid"}), **kw)
    with pytest.raises(ValueError, match="unknown aggregation"):
        as_of_aggregate_dask(events, labels, **{**kw, "aggs": {"n": ("amount", "median")}})
    empty = as_of_aggregate_dask(events, labels.iloc[:0], **kw)
    assert len(empty) == 0 and list(empty.columns) == ["n"]


def test_distributed_imports_no_check_module():
    "distributed sits below the checks: it never imports parity (the import loop of issue 12), at any depth of its source."
    import ast, mlparity.distributed as m
    tree = ast.parse(open(m.__file__).read())
    names = {(n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
            {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {x for x in names if x.split(".")[-1] == "parity"}, names


def test_core_never_imports_dask():
    code = ("import sys, mlparity, mlparity.parity, mlparity.drift, mlparity.pointintime, mlparity.distributed; "
            "assert 'dask' not in sys.modules, sorted(m for m in sys.modules if 'dask' in m)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_parity_missing_keys_same_finding():
    off, on = frames(7)
    off = off.assign(**{K: off[K].astype("float64")})
    off.loc[[3, 50, 200], K] = np.nan
    a, b = ddf(off, 4), ddf(on, 2)
    want = compare_frames(a.compute(), b.compute(), K)
    assert compare_frames_dask(a, b, K).to_dict() == want.to_dict()
    assert any(f.check == "parity.key_missing" and f.message.startswith("3 row(s) of offline have a missing value") for f in want.warnings)


def _objs(*vs):
    out = np.empty(len(vs), dtype=object)
    for i, v in enumerate(vs): out[i] = v
    return out


@pytest.mark.parametrize("case", ["uint64", "int64", "object", "Int64", "int_vs_float", "multi"])
def test_parity_exact_integer_keys_dask_equals_pandas(case):
    "Keys that float64 would merge (2**63 + 1 and 2**63, 2**53 + 1 and 2**53, Python ints past 64 bits) bucket and join alike."
    rng = np.random.default_rng(5)
    if case == "uint64": k_off = np.array([2**63 + i for i in range(40)] + [2**64 - 1 - i for i in range(40)], dtype="uint64")
    elif case in ("int64", "int_vs_float", "multi"): k_off = np.array([2**53 + i for i in range(40)] + [-(2**63) + i for i in range(40)], dtype="int64")
    elif case == "object": k_off = _objs(*[2**70 + i for i in range(80)])
    else: k_off = pd.array([2**62 + i for i in range(79)] + [None], dtype="Int64")
    n = len(k_off)
    off = pd.DataFrame({K: k_off, "v": np.arange(n, dtype="int64") + 2**62, "f": rng.normal(size=n)})
    on = off.sample(frac=1.0, random_state=1).reset_index(drop=True)
    on.loc[on.index[:3], "v"] += 1
    if case == "int_vs_float": on[K] = on[K].astype("float64")          # 2**53 + i rounds: those keys must not meet
    if case == "multi":
        off["day"], on["day"] = off[K] % 3, on[K] % 3
    key = [K, "day"] if case == "multi" else K
    got = same_parity(off, on, key=key, n_off=4, n_on=3, npartitions=5)
    if case != "int_vs_float": assert got.summary.set_index("feature").loc["v", "mismatches"] == 3
    else: assert got.summary["rows"].iloc[0] < n


def test_parity_datetime_keys_and_odd_dtypes():
    rng = np.random.default_rng(11)
    n = 200
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.permutation(10 * n)[:n], "min")
    off = pd.DataFrame({"when": t, "cat": pd.Categorical(rng.choice(list("abc"), n)), "flag": rng.random(n) < 0.5,
                        "gap": pd.to_timedelta(rng.integers(0, 100, n), "s"), "obj": pd.Series(rng.integers(0, 5, n), dtype=object)})
    on = off.assign(when=off["when"].dt.tz_convert("Europe/Berlin")).iloc[5:].copy()
    on.loc[on.index[::7], "flag"] = ~on.loc[on.index[::7], "flag"]
    on.loc[on.index[::11], "gap"] += pd.Timedelta("1s")
    on["obj"] = on["obj"].astype(float)
    same_parity(off, on, key="when", n_off=4, n_on=3)


def test_the_main_functions_accept_dask_frames():
    "compare_frames, drift_report and as_of_aggregate take Dask DataFrames with their own signatures."
    off, on = frames(11)
    a, b = ddf(off, 3), ddf(on, 2)
    assert compare_frames(a, b, K).to_dict() == compare_frames_dask(a, b, K).to_dict()
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"age": rng.normal(35, 10, 2000)}); cur = pd.DataFrame({"age": rng.normal(38, 10, 1500)})
    pd.testing.assert_frame_equal(drift_report(ddf(ref, 3), ddf(cur, 2), method="ks").table,
                                  drift_report(ref, cur, method="ks").table)
    ev = pd.DataFrame({K: rng.integers(0, 20, 400), "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, 400), "s"),
                       "amount": rng.integers(1, 50, 400).astype(float)})
    lab = pd.DataFrame({K: rng.integers(0, 25, 60), "lt": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, 60), "s")})
    kw = dict(key=K, event_time="ts", label_time="lt", aggs={"n": ("amount", "count"), "spend": ("amount", "sum")})
    pd.testing.assert_frame_equal(as_of_aggregate(ddf(ev, 3), ddf(lab, 2), **kw), as_of_aggregate(ev, lab, **kw))


def test_as_of_float_sums_bit_for_bit_with_tied_times():
    "Many events share a key and a timestamp, amounts span 12 orders of magnitude: sums and means still match exactly."
    rng = np.random.default_rng(11)
    n = 4000
    events = pd.DataFrame({K: rng.integers(0, 8, n),
                           "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 20, n), "D"),
                           "amount": rng.lognormal(0, 6, n) * rng.choice([-1, 1], n), "cat": "a"})
    labels = pd.DataFrame({K: rng.integers(0, 9, 300), "lt": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 22, 300), "D")})
    for window, closed in ((None, "left"), ("5D", "both")):
        kw = dict(key=K, event_time="t", label_time="lt", aggs={"s": ("amount", "sum"), "m": ("amount", "mean")},
                  window=window, closed=closed)
        want = as_of_aggregate(events, labels, **kw)
        for parts, npart in ((7, 3), (13, 5)):
            got = as_of_aggregate_dask(ddf(events, parts), ddf(labels, 2), npartitions=npart, **kw)
            pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("parts", [1, 5, 16])
def test_sketched_drift_on_dask_within_its_stated_bounds(parts):
    "An opt-in sketch merged across partitions (empty ones too): KS and Wasserstein within the bounds the report states."
    rng = np.random.default_rng(parts)
    ref = pd.DataFrame({"x": rng.lognormal(0, 1, 60_000), "k": rng.integers(0, 3, 60_000).astype(float)})
    cur = pd.DataFrame({"x": rng.lognormal(0.05, 1, 30_000), "k": rng.integers(0, 3, 30_000).astype(float)})
    methods = ["ks", "wasserstein"]
    r = with_empty(ref) if parts == 16 else ddf(ref, parts)
    exact = drift_report(r.compute(), cur, method=methods).table.set_index(["column", "method"])["statistic"]
    got = drift_report(r, ddf(cur, 3), method=methods, sketch=128)       # drift_report hands Dask frames on
    stat = got.table.set_index(["column", "method"])["statistic"]
    bound = got.error_bounds.set_index(["column", "method"])["statistic_error"]
    assert got.reference.columns["x"].rank_error > 0 and len(got.reference.columns["x"].values) <= 128
    assert ((stat - exact).abs() <= bound + 1e-12).all()
    assert (bound.loc["k"] == 0).all()                                  # 3 distinct values: exact
    assert [f.subject for f in got.findings if f.check == "drift.approximate"] == ["x"]
    with pytest.raises(ValueError, match="sketch must be None"): profile_dask(ddf(ref, 2), sketch=4)
