"""`mlparity.parity`: the table of bad inputs and their answers, and property tests of `compare_frames`.

The notebook `nbs/04_parity.ipynb` renders the same table of bad inputs from live calls; here each row pins the
exact answer (the exception and its message, or the report's status and the check that fires).
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from mlparity.parity import ParityReport, assert_parity, compare_frames, compare_functions

K = "user_id"
TS = pd.to_datetime(["2024-03-01 09:00", "2024-03-02 09:00"])


def frames(off, on):
    return pd.DataFrame(off), pd.DataFrame(on)


# (name, offline, online, expected): expected is (ExceptionType, message fragment) or (status prefix, failing checks)
BAD_INPUTS = [
    ("both frames empty", {K: [], "f": []}, {K: [], "f": []}, ("FAILED", {"parity.rows"})),
    ("online empty", {K: [1], "f": [1.0]}, {K: [], "f": []}, ("FAILED", {"parity.rows", "parity.keys"})),
    ("key column missing from online", {K: [1], "f": [1.0]}, {"uid": [1], "f": [1.0]},
     (KeyError, "key column 'user_id' missing from online (columns: 'uid', 'f'")),
    ("key int vs str", {K: [1, 2], "f": [1.0, 2.0]}, {K: ["1", "2"], "f": [1.0, 2.0]},
     (TypeError, "key column 'user_id' is int64 (number) in offline but str (string) in online")),
    ("key int vs float", {K: [1, 2], "f": [1.0, 2.0]}, {K: [1.0, 2.0], "f": [1.0, 2.0]}, ("OK with 1 warning", set())),
    ("duplicate keys", {K: [1, 1, 2], "f": [1.0, 1.0, 2.0]}, {K: [1, 2], "f": [1.0, 2.0]}, ("FAILED", {"parity.duplicates"})),
    ("missing key value on one side", {K: [1.0, np.nan], "f": [1.0, 2.0]}, {K: [1.0, 2.0], "f": [1.0, 2.0]},
     ("FAILED", {"parity.keys"})),
    ("no key in common", {K: [1], "f": [1.0]}, {K: [2], "f": [1.0]}, ("FAILED", {"parity.keys", "parity.rows"})),
    ("NaN vs NaN, inf vs inf", {K: [1, 2], "f": [np.nan, np.inf]}, {K: [1, 2], "f": [np.nan, np.inf]}, ("OK", set())),
    ("NaN vs number", {K: [1, 2], "f": [np.nan, 1.0]}, {K: [1, 2], "f": [0.0, 1.0]}, ("FAILED", {"parity.values"})),
    ("inf vs -inf", {K: [1], "f": [np.inf]}, {K: [1], "f": [-np.inf]}, ("FAILED", {"parity.values"})),
    ("inf vs finite", {K: [1], "f": [np.inf]}, {K: [1], "f": [1e308]}, ("FAILED", {"parity.values"})),
    ("large integers one apart (exact)", {K: [1], "f": [999_999_999]}, {K: [1], "f": [1_000_000_000]}, ("FAILED", {"parity.values"})),
    ("1 vs 1.0", {K: [1], "f": [1]}, {K: [1], "f": [1.0]}, ("OK with 1 warning", set())),
    ("bool vs int", {K: [1, 2], "f": [True, False]}, {K: [1, 2], "f": [1, 0]}, ("OK with 1 warning", set())),
    ("bool vs bool, one differs", {K: [1, 2], "f": [True, False]}, {K: [1, 2], "f": [True, True]}, ("FAILED", {"parity.values"})),
    ("string vs number", {K: [1], "f": ["1"]}, {K: [1], "f": [1]}, ("FAILED", {"parity.types"})),
    ("object vs str dtype, same values", {K: [1, 2], "f": pd.Series(["a", "b"], dtype=object)}, {K: [1, 2], "f": ["a", "b"]},
     ("OK with 1 warning", set())),
    ("categorical vs string, one differs", {K: [1, 2], "f": pd.Categorical(["a", "b"])}, {K: [1, 2], "f": ["a", "c"]},
     ("FAILED", {"parity.values"})),
    ("None vs NaN in a string feature", {K: [1, 2], "f": ["a", None]}, {K: [1, 2], "f": ["a", np.nan]}, ("OK", set())),
    ("tz-aware vs naive datetime", {K: [1, 2], "f": TS.tz_localize("UTC")}, {K: [1, 2], "f": TS}, ("FAILED", {"parity.types"})),
    ("same instant, two time zones", {K: [1, 2], "f": TS.tz_localize("UTC")},
     {K: [1, 2], "f": TS.tz_localize("UTC").tz_convert("Europe/Paris")}, ("OK with 1 warning", set())),
    ("datetime one day apart", {K: [1, 2], "f": TS}, {K: [1, 2], "f": TS + pd.Timedelta(days=1)}, ("FAILED", {"parity.values"})),
    ("NaT vs NaT", {K: [1], "f": pd.to_datetime([None])}, {K: [1], "f": pd.to_datetime([None])}, ("OK", set())),
    ("nullable Int64 with NA vs float NaN", {K: [1, 2], "f": pd.array([1, None], dtype="Int64")}, {K: [1, 2], "f": [1.0, np.nan]},
     ("OK with 1 warning", set())),
    ("feature missing from online", {K: [1], "f": [1.0], "g": [2.0]}, {K: [1], "f": [1.0]}, ("FAILED", {"parity.columns"})),
    ("only key columns", {K: [1]}, {K: [1]}, ("FAILED", {"parity.columns"})),
    ("all-missing object vs float", {K: [1], "f": pd.Series([None], dtype=object)}, {K: [1], "f": [2.0]}, ("FAILED", {"parity.values"})),
]


@pytest.mark.parametrize("name,off,on,expected", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_inputs(name, off, on, expected):
    off, on = frames(off, on)
    what, detail = expected
    if isinstance(what, type):
        with pytest.raises(what) as e: compare_frames(off, on, K)
        assert detail in str(e.value)
    else:
        rep = compare_frames(off, on, K)
        assert isinstance(rep, ParityReport)
        assert rep.status.startswith(what), rep.status
        assert {f.check for f in rep.errors} == detail, str(rep)


def test_timestamp_differences_in_seconds():
    off = pd.DataFrame({K: [1, 2], "t": TS})
    rep = compare_frames(off, off.assign(t=TS + pd.to_timedelta([0, 2], unit="h")), K)
    assert rep.summary.set_index("feature").loc["t", ["mismatches", "max_abs_diff"]].tolist() == [1, 7200.0]


def test_non_unique_index_and_shuffled_rows():
    off = pd.DataFrame({K: [1, 2, 3], "f": [1.0, 2.0, 3.0]}, index=[0, 0, 0])
    on = pd.DataFrame({K: [3, 1, 2], "f": [3.0, 1.0, 2.5]}, index=[9, 9, 9])
    rep = compare_frames(off, on, K)
    assert rep.failing == ["f"] and rep.examples[K].tolist() == [2]


def test_key_in_index_and_multi_key():
    off = pd.DataFrame({K: [1, 1, 2], "day": ["a", "b", "a"], "f": [1.0, 2.0, 3.0]})
    on = off.iloc[::-1].set_index([K, "day"])
    assert compare_frames(off, on, [K, "day"]).ok
    on.iloc[0, 0] = 9.0
    rep = compare_frames(off, on, [K, "day"])
    assert rep.examples[[K, "day", "offline", "online"]].values.tolist() == [[2, "a", 3.0, 9.0]]


def test_missing_keys_severity():
    off, on = pd.DataFrame({K: [1, 2], "f": [1.0, 2.0]}), pd.DataFrame({K: [2], "f": [2.0]})
    assert not compare_frames(off, on, K).ok
    rep = compare_frames(off, on, K, missing_keys="warning")
    assert rep.ok and [f.check for f in rep.warnings] == ["parity.keys"]
    with pytest.raises(ValueError, match="missing_keys must be"): compare_frames(off, on, K, missing_keys="fatal")


def test_input_checks():
    df = pd.DataFrame({K: [1], "f": [1.0]})
    with pytest.raises(TypeError, match="offline must be a pandas DataFrame, got dict"): compare_frames({K: [1]}, df, K)
    with pytest.raises(ValueError, match="duplicate column names"): compare_frames(pd.concat([df, df[["f"]]], axis=1), df, K)
    with pytest.raises(KeyError, match=r"column\(s\) \['nope'\] in neither"): compare_frames(df, df, K, columns=["nope"])
    with pytest.raises(ValueError, match="includes key column"): compare_frames(df, df, K, columns=[K])
    with pytest.raises(ValueError, match="rtol and atol must be finite"): compare_frames(df, df, K, rtol=-1)


def test_assert_parity_message():
    off = pd.DataFrame({K: [1, 2, 3], "freq": [0.1, 0.2, 0.3], "div": [1, 2, 3]})
    on = pd.DataFrame({K: [1, 2, 3], "freq": [0.3, 0.6, 0.9]})
    with pytest.raises(AssertionError) as e: assert_parity(off, on, K)
    msg = str(e.value)
    assert 'feature "freq" values are different (100 %, 3 of 3 rows)' in msg
    assert "[user_id]: [1, 2, 3]" in msg and "[offline]: [0.1, 0.2, 0.3]" in msg
    assert "div: computed in offline but missing from online" in msg
    assert assert_parity(off, off, K).ok


def test_compare_functions_cases():
    f = lambda x: {"double": 2 * x, "sq": x * x}
    g = lambda x: {"double": 2 * x, "sq": x * x if x < 3 else 0}
    rep = compare_functions(f, g, [{"x": 1}, {"x": 2}, {"x": 3}])
    assert rep.failing == ["sq"] and rep.examples["case"].tolist() == [2]
    named = compare_functions(f, f, {"small": {"x": 1}, "big": {"x": 10}})
    assert named.ok
    with pytest.raises(TypeError, match="returned int for case 0"): compare_functions(lambda x: 1, f, [{"x": 1}])
    with pytest.raises(ValueError, match="cases is empty"): compare_functions(f, g, [])
    frame_out = compare_functions(lambda: pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="id")),
                                  lambda: pd.DataFrame({"a": [1, 3]}, index=pd.Index([5, 6], name="id")), [{}])
    assert frame_out.examples[["case", "id"]].values.tolist() == [[0, 6]]


# ---- properties

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def feature_frames(draw, mixed:bool=False):
    "A feature table: unique integer keys, 1-4 float features with NaN and inf (plus int, str, bool ones when `mixed`), and a shuffled copy."
    n = draw(st.integers(1, 30))
    keys = draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n, unique=True))
    n_feat = draw(st.integers(1, 4))
    cols = {f"f{j}": draw(st.lists(FLOATS, min_size=n, max_size=n)) for j in range(n_feat)}
    if mixed:
        cols["count"] = draw(st.lists(st.integers(-10**9, 10**9), min_size=n, max_size=n))
        cols["segment"] = draw(st.lists(st.text(max_size=5), min_size=n, max_size=n))
        cols["active"] = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    df = pd.DataFrame({K: keys, **cols})
    perm = draw(st.permutations(range(n)))
    return df, df.iloc[list(perm)].reset_index(drop=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feature_frames(mixed=True))
def test_identical_inputs_are_ok(frames):
    off, on = frames
    rep = compare_frames(off, on, K)
    assert rep.ok and not rep.warnings, str(rep)
    assert (rep.summary["mismatches"] == 0).all()


def _perturb(v, col_mean_abs=0.0):
    "A value that differs from `v` beyond the default tolerance (rtol 1e-9, atol 1e-12 x the column's mean |value|), of the same type."
    if isinstance(v, (bool, np.bool_)): return not v
    if isinstance(v, str): return v + "x"
    if isinstance(v, (int, np.integer)): return int(v) + 1
    if np.isnan(v): return 0.0
    if np.isinf(v): return -v
    return v + max(1.0, abs(v), 1e-11 * col_mean_abs) if abs(v) < 1e300 and col_mean_abs < 1e300 else np.nan


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feature_frames(mixed=True), st.data())
def test_one_perturbed_value_is_one_mismatch(frames, data):
    off, on = frames
    on = on.copy()
    row = data.draw(st.integers(0, len(on) - 1))
    col = data.draw(st.sampled_from([c for c in on.columns if c != K]))
    both = pd.concat([off[col], on[col]])
    finite = both[np.isfinite(both)] if both.dtype.kind == "f" else both.iloc[:0]
    with np.errstate(over="ignore"): mean_abs = float(np.abs(finite).mean()) if len(finite) else 0.0
    on.loc[row, col] = _perturb(on.loc[row, col], mean_abs if np.isfinite(mean_abs) else 1e300)
    rep = compare_frames(off, on, K)
    s = rep.summary.set_index("feature")["mismatches"]
    assert s[col] == 1 and s.drop(col).eq(0).all(), str(rep)
    assert rep.failing == [col]
    assert rep.examples[K].tolist() == [on.loc[row, K]]


@settings(max_examples=60, deadline=None)
@given(feature_frames(), st.floats(1e-12, 1e-3))
def test_order_and_side_do_not_matter(frames, rtol):
    "Swapping the sides or shuffling the rows never changes which features fail or how many rows differ."
    off, on = frames
    on = on.assign(f0=on["f0"] * (1 + rtol * 2))
    a = compare_frames(off, on, K, rtol=rtol)
    b = compare_frames(on.iloc[::-1], off, K, rtol=rtol)
    assert a.failing == b.failing
    assert a.summary["mismatches"].tolist() == b.summary["mismatches"].tolist()
