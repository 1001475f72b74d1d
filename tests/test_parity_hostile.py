"""`compare_frames` on hostile input: each case asserts the error (type and the words that name the problem) or the
finding in the report; then Hypothesis properties of exact integer comparison (int64, uint64, nullable and Python
ints, extremes included): identical frames pass, one changed value is exactly one mismatch, distinct keys never meet."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from mlparity.parity import assert_parity, compare_frames

K = "user_id"
TS = pd.to_datetime(["2024-03-01 09:00", "2024-03-02 09:00"])
U63 = 2**63


def F(**cols): return pd.DataFrame(cols)


def objs(*vs):
    out = np.empty(len(vs), dtype=object)
    for i, v in enumerate(vs): out[i] = v
    return out


# (name, offline, online, kwargs, expected): expected is (ExceptionType, words) or a function of the report that must hold
HOSTILE = [
    ("uint64 keys 2**63+1 and 2**63 stay two keys",
     F(user_id=np.array([U63 + 1, U63], "uint64"), f=[1.0, 2.0]), F(user_id=np.array([U63, U63 + 1], "uint64"), f=[2.0, 1.0]), {},
     lambda r: r.ok and r.summary["rows"].tolist() == [2]),
    ("distinct uint64 ids are not duplicates",
     F(user_id=np.array([2**64 - 1, 2**64 - 2, 1], "uint64"), f=[1.0, 2.0, 3.0]),
     F(user_id=np.array([2**64 - 2, 1, 2**64 - 1], "uint64"), f=[2.0, 3.0, 1.0]), {}, lambda r: r.ok and not r.warnings),
    ("int key 2**53+1 never meets float key 2**53",
     F(user_id=np.array([2**53 + 1], "int64"), f=[1.0]), F(user_id=np.array([2.0**53]), f=[1.0]), {},
     lambda r: not r.ok and r.summary["rows"].tolist() == [0] and {f.check for f in r.errors} >= {"parity.keys"}),
    ("Python-int keys past 64 bits", F(user_id=objs(2**70, 2**70 + 1), f=[1.0, 2.0]), F(user_id=objs(2**70 + 1, 2**70), f=[2.0, 1.0]), {},
     lambda r: r.ok),
    ("int64 2**53+1 against Int64 2**53 is a mismatch",
     F(user_id=[1], f=np.array([2**53 + 1], "int64")), F(user_id=[1], f=pd.array([2**53], dtype="Int64")), {},
     lambda r: r.failing == ["f"] and r.errors[0].evidence["max_abs_diff"] == 1.0),
    ("int64 2**53+1 against uint64 2**53 is a mismatch",
     F(user_id=[1], f=np.array([2**53 + 1], "int64")), F(user_id=[1], f=np.array([2**53], "uint64")), {}, lambda r: r.failing == ["f"]),
    ("uint64 values 2**63+1 against 2**63", F(user_id=[1], f=np.array([U63 + 1], "uint64")), F(user_id=[1], f=np.array([U63], "uint64")), {},
     lambda r: r.failing == ["f"]),
    ("object ints 2**70 against 2**70+1", F(user_id=[1], f=objs(2**70)), F(user_id=[1], f=objs(2**70 + 1)), {},
     lambda r: r.failing == ["f"] and r.errors[0].evidence["max_abs_diff"] == 1.0),
    ("int64 2**60+1 served as float64: said and counted, never 'agree'",
     F(user_id=[1, 2], f=np.array([2**60 + 1, 3], "int64")), F(user_id=[1, 2], f=[float(2**60), 3.0]), {},
     lambda r: r.failing == ["f"] and "float64 cannot hold exactly" in r.errors[0].message
     and not any("the values agree" in f.message for f in r.findings)),
    ("whole floats near the largest float64, signs flipped: a mismatch, not an OverflowError",
     F(user_id=[1, 2, 3], f=[-1.7e308, 1e300, 1.7e308]), F(user_id=[1, 2, 3], f=[1.7e308, -1e300, -1.7e308]), {},
     lambda r: r.failing == ["f"] and r.summary["mismatches"].tolist() == [3] and r.summary["max_abs_diff"].tolist() == [2e300]),
    ("int64 2**60 served as float64 2**60 (exact): agrees with a dtype warning",
     F(user_id=[1], f=np.array([2**60], "int64")), F(user_id=[1], f=[float(2**60)]), {}, lambda r: r.ok and r.status.startswith("OK with 1 warning")),
    ("nullable Int64 NA against NA", F(user_id=[1, 2], f=pd.array([1, None], dtype="Int64")), F(user_id=[1, 2], f=pd.array([1, None], dtype="Int64")), {},
     lambda r: r.ok),
    ("nullable UInt64 extremes against uint64", F(user_id=[1, 2], f=pd.array([2**64 - 1, 0], dtype="UInt64")),
     F(user_id=[1, 2], f=np.array([2**64 - 1, 0], "uint64")), {}, lambda r: r.ok),
    ("object column of equal numpy arrays", F(user_id=[1, 2], emb=objs(np.array([0.5, 1.0]), np.array([1, 2]))),
     F(user_id=[2, 1], emb=objs(np.array([1, 2]), np.array([0.5, 1.0]))), {}, lambda r: r.ok),
    ("object column of numpy arrays, one differs", F(user_id=[1, 2], emb=objs(np.array([0.5, 1.0]), np.array([1, 2]))),
     F(user_id=[1, 2], emb=objs(np.array([0.5, 1.0]), np.array([1, 3]))), {}, lambda r: r.failing == ["emb"]),
    ("last-bit noise around zero passes by default", F(user_id=[1, 2, 3], f=[-1.3e-15, 0.7, -1.2]), F(user_id=[1, 2, 3], f=[0.0, 0.7, -1.2]), {},
     lambda r: r.ok),
    ("a 1e-6 relative skew is caught by default", F(user_id=[1, 2], f=[0.7, 1.2]), F(user_id=[1, 2], f=[0.7 * (1 + 1e-6), 1.2]), {},
     lambda r: r.failing == ["f"]),
    ("atol=0 restores the strict rule", F(user_id=[1, 2], f=[-1.3e-15, 1.0]), F(user_id=[1, 2], f=[0.0, 1.0]), {"atol": 0},
     lambda r: r.failing == ["f"]),
    ("duplicate keys are a finding; the other keys are still compared",
     F(user_id=[1, 1, 2, 3], f=[1.0, 1.5, 2.0, 3.0]), F(user_id=[1, 2, 3], f=[1.0, 2.0, 30.0]), {},
     lambda r: {f.check for f in r.errors} == {"parity.duplicates", "parity.values"} and r.failing == ["f"]
     and r.summary["rows"].tolist() == [2] and "1 duplicate key(s) in 'user_id' (2 rows), e.g. [1]" in r.errors[0].message
     and "left out of the comparison" in r.errors[0].message),
    ("duplicate keys on both sides", F(user_id=[1, 1, 2], f=[1.0, 1.0, 2.0]), F(user_id=[2, 2, 1], f=[2.0, 2.0, 1.0]), {},
     lambda r: [f.subject for f in r.errors if f.check == "parity.duplicates"] == ["offline", "online"] and r.summary["rows"].tolist() == [0]),
    ("missing keys meet missing keys, with a warning", F(user_id=[1.0, np.nan], f=[1.0, 2.0]), F(user_id=[np.nan, 1.0], f=[2.0, 1.0]), {},
     lambda r: r.ok and [f.check for f in r.warnings] == ["parity.key_missing", "parity.key_missing"]),
    ("missing keys of nullable Int64 and None strings", F(user_id=pd.array([1, None], dtype="Int64"), f=[1.0, 2.0]),
     F(user_id=[None, 1.0], f=[2.0, 1.0]), {}, lambda r: r.ok and len(r.warnings) == 3),
    ("two missing keys on one side are duplicates", F(user_id=[np.nan, np.nan, 1.0], f=[1.0, 2.0, 3.0]), F(user_id=[1.0], f=[3.0]), {},
     lambda r: "parity.duplicates" in {f.check for f in r.errors}),
    ("case differs: strict by default, and said", F(user_id=[1, 2], city=["Paris", "Lyon"]), F(user_id=[1, 2], city=["paris", "Lyon"]), {},
     lambda r: r.failing == ["city"] and "1 of them differ only by case or surrounding spaces" in r.errors[0].message),
    ("case differs, ignore_case=True", F(user_id=[1, 2], city=["Paris", "Lyon"]), F(user_id=[1, 2], city=["paris", "LYON"]), {"ignore_case": True},
     lambda r: r.ok),
    ("surrounding spaces, ignore_spaces=True", F(user_id=[1], city=["Paris "]), F(user_id=[1], city=[" Paris"]), {"ignore_spaces": True},
     lambda r: r.ok),
    ("spaces inside a string still differ", F(user_id=[1], city=["New York"]), F(user_id=[1], city=["NewYork"]), {"ignore_spaces": True},
     lambda r: r.failing == ["city"]),
    ("1 against '1' stays a mismatch", F(user_id=[1], f=[1]), F(user_id=[1], f=["1"]), {"ignore_case": True, "ignore_spaces": True},
     lambda r: r.failing == ["f"] and r.errors[0].check == "parity.types"),
    ("a timestamp against its ISO text stays a mismatch", F(user_id=[1, 2], t=TS), F(user_id=[1, 2], t=[t.isoformat() for t in TS]), {},
     lambda r: r.failing == ["t"] and r.errors[0].check == "parity.types"),
    ("tz-aware examples keep their zone", F(user_id=[1, 2], t=TS.tz_localize("Europe/Paris")),
     F(user_id=[1, 2], t=(TS + pd.Timedelta("5h")).tz_localize("Europe/Paris")), {},
     lambda r: "Europe/Paris" in r.errors[0].message and r.examples["offline"].iloc[0].tzinfo is not None),
    ("datetime differences carry a unit", F(user_id=[1, 2], t=TS), F(user_id=[1, 2], t=TS + pd.Timedelta("5h")), {},
     lambda r: "largest difference 0 days 05:00:00" in r.errors[0].message and r.errors[0].evidence["max_abs_diff_unit"] == "seconds"),
    ("rtol given as text", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"rtol": "0.1"}, (ValueError, "got rtol='0.1' (str)")),
    ("rtol NaN", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"rtol": float("nan")}, (ValueError, "rtol and atol must be finite numbers >= 0")),
    ("atol True", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"atol": True}, (ValueError, "got atol=True (bool)")),
    ("max_examples -1", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"max_examples": -1}, (ValueError, "max_examples must be an integer >= 0, got -1")),
    ("max_examples 2.5", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"max_examples": 2.5}, (ValueError, "max_examples must be an integer >= 0")),
    ("sides one name", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"sides": "ab"}, (ValueError, "`sides` must be two names")),
    ("sides the same", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"sides": ("a", "a")}, (ValueError, "two different names")),
    ("ignore_case not a bool", F(user_id=[1], f=["a"]), F(user_id=[1], f=["a"]), {"ignore_case": "yes"}, (ValueError, "ignore_case must be True or False")),
    ("empty key list", F(user_id=[1], f=[1.0]), F(user_id=[1], f=[1.0]), {"key": []}, (ValueError, "`key` is empty")),
    ("key int vs bool", F(user_id=[1, 0], f=[1.0, 2.0]), F(user_id=[True, False], f=[1.0, 2.0]), {}, (TypeError, "keys of different types never match")),
    ("tz-aware key vs naive key", F(when=TS.tz_localize("UTC"), f=[1.0, 2.0]), F(when=TS, f=[1.0, 2.0]), {"key": "when"},
     (TypeError, "a tz-aware and a naive timestamp never match")),
]


@pytest.mark.parametrize("name,off,on,kw,expected", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_inputs(name, off, on, kw, expected):
    kw = dict(kw); key = kw.pop("key", K)
    if isinstance(expected, tuple):
        with pytest.raises(expected[0]) as e: compare_frames(off, on, key, **kw)
        assert expected[1] in str(e.value), str(e.value)
    else:
        rep = compare_frames(off, on, key, **kw)
        assert expected(rep), str(rep)


def test_assert_parity_raises_assertion_error_on_duplicate_keys():
    off, on = F(user_id=[1, 1, 2], f=[1.0, 1.0, 2.0]), F(user_id=[1, 2], f=[1.0, 2.0])
    with pytest.raises(AssertionError, match=r"offline has 1 duplicate key\(s\) in 'user_id' \(2 rows\), e.g. \[1\]"):
        assert_parity(off, on, K)


def test_duplicates_name_the_sides():
    off, on = F(user_id=[1, 1], f=[1.0, 1.0]), F(user_id=[1], f=[1.0])
    rep = compare_frames(off, on, K, sides=("training", "serving"))
    assert rep.errors[0].subject == "training" and rep.errors[0].message.startswith("training has 1 duplicate key(s)")


# ---- properties of exact integer comparison

INT64 = st.integers(-(2**63), 2**63 - 1)
UINT64 = st.integers(0, 2**64 - 1)
EXTREMES = [-(2**63), -(2**63) + 1, -(2**53) - 1, -1, 0, 1, 2**53, 2**53 + 1, 2**63 - 1]
UEXTREMES = [0, 1, 2**53 + 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 2, 2**64 - 1]
DTYPES = {"int64": (INT64, EXTREMES), "uint64": (UINT64, UEXTREMES), "Int64": (INT64, EXTREMES), "UInt64": (UINT64, UEXTREMES),
          "object": (st.integers(-(2**80), 2**80), EXTREMES + [2**70, 2**70 + 1])}


def col(v, dt, nulls=None):
    "Exact integers `v` as a column of dtype `dt` (NA where `nulls`); built from numpy arrays, never through float."
    if dt == "object": return objs(*v)
    if dt in ("Int64", "UInt64"):
        mask = np.array([bool(nulls and nulls[i]) or v[i] is None or v[i] is pd.NA for i in range(len(v))], dtype=bool)
        base = np.array([0 if m else int(x) for x, m in zip(v, mask)], dtype=dt.lower())
        return pd.arrays.IntegerArray(base, mask)
    return np.array(v, dtype=dt)


@st.composite
def int_frames(draw):
    "A frame with exact integer keys and values of one dtype (nullable ones with NA), extremes included, and a shuffled copy."
    key_dt, val_dt = draw(st.sampled_from(list(DTYPES))), draw(st.sampled_from(list(DTYPES)))
    n = draw(st.integers(1, 12))
    kstrat, kext = DTYPES[key_dt]
    keys = draw(st.lists(st.one_of(kstrat, st.sampled_from(kext)), min_size=n, max_size=n, unique=True))
    vstrat, vext = DTYPES[val_dt]
    vals = draw(st.lists(st.one_of(vstrat, st.sampled_from(vext)), min_size=n, max_size=n))
    nulls = draw(st.lists(st.booleans(), min_size=n, max_size=n)) if val_dt in ("Int64", "UInt64") else [False] * n
    df = pd.DataFrame({K: col(keys, key_dt), "v": col(vals, val_dt, nulls)})
    perm = draw(st.permutations(range(n)))
    return df, df.iloc[list(perm)].reset_index(drop=True), key_dt, val_dt


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(int_frames())
def test_identical_integer_frames_pass(frames):
    off, on, _, _ = frames
    rep = compare_frames(off, on, K)
    assert rep.ok and not rep.warnings, str(rep)
    assert rep.summary["rows"].tolist() == [len(off)]


@SETTINGS
@given(int_frames(), st.data())
def test_one_changed_integer_is_one_mismatch(frames, data):
    off, on, _, val_dt = frames
    on = on.copy()
    row = data.draw(st.integers(0, len(on) - 1))
    old = on["v"].iloc[row]
    lo, hi = (-(2**63), 2**63 - 1) if val_dt in ("int64", "Int64") else (0, 2**64 - 1) if val_dt in ("uint64", "UInt64") else (-(2**80), 2**80)
    if old is pd.NA: new = lo
    else: new = int(old) + 1 if int(old) < hi else int(old) - 1
    vals = [None if x is pd.NA else int(x) for x in on["v"]]; vals[row] = new
    on["v"] = col(vals, val_dt)
    rep = compare_frames(off, on, K)
    assert rep.summary["mismatches"].tolist() == [1], str(rep)
    assert rep.examples[K].tolist() == [on[K].iloc[row]]


@SETTINGS
@given(int_frames(), st.data())
def test_distinct_integer_keys_never_meet(frames, data):
    "Replace one key online by a neighbouring value not in the frame: exactly that key is one-sided on both sides."
    off, on, key_dt, _ = frames
    on = on.copy()
    row = data.draw(st.integers(0, len(on) - 1))
    old = int(on[K].iloc[row])
    used = {int(k) for k in off[K]}
    lo, hi = (-(2**63), 2**63 - 1) if key_dt in ("int64", "Int64") else (0, 2**64 - 1) if key_dt in ("uint64", "UInt64") else (-(2**80), 2**80)
    cands = [c for c in (old + 1, old - 1, old + 2, old - 2) if lo <= c <= hi and c not in used]
    if not cands: return
    keys = [int(k) for k in on[K]]; keys[row] = cands[0]
    on[K] = col(keys, key_dt)
    rep = compare_frames(off, on, K)
    assert rep.summary["rows"].tolist() == [len(off) - 1], str(rep)
    one = rep.one_sided_keys
    assert sorted(one["only_in"]) == ["offline", "online"]
    assert {int(k) for k in one[K]} == {old, cands[0]}


# ---- the fast paths (unique integer keys joined without a hash table, floats compared where unequal) report as the general one

@st.composite
def float_frames(draw):
    """Two frames on unique integer keys (dense or sparse, int64 or uint64, some on one side only, shuffled) with float,
    int and text features holding equal, near, NaN and infinite values; sometimes a duplicated key."""
    n = draw(st.integers(0, 40))
    dense = draw(st.booleans())
    key_dt = draw(st.sampled_from(["int64", "uint64"]))
    base = 0 if key_dt == "uint64" else draw(st.sampled_from([-(2**63), -5, 0, 2**62]))
    if dense: pool = list(range(base, base + 2 * n + 2))
    else: pool = draw(st.lists(st.integers(0, 2**63 - 1) if key_dt == "int64" else st.integers(0, 2**64 - 1),
                               min_size=2 * n + 2, max_size=2 * n + 2, unique=True))
    keys = draw(st.permutations(pool))
    off_keys, on_keys = keys[:n], keys[n // 2: n // 2 + n]             # about half the keys shared
    vals = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.0, 1.0 + 1e-12, 1e-300]))
    def side(ks):
        return pd.DataFrame({K: np.array(ks, dtype=key_dt),
                             "x": draw(st.lists(vals, min_size=len(ks), max_size=len(ks))),
                             "y": np.array(draw(st.lists(st.sampled_from([1, 2, 2**53 + 1]), min_size=len(ks), max_size=len(ks))), "int64"),
                             "s": draw(st.lists(st.sampled_from(["a", "A", "b"]), min_size=len(ks), max_size=len(ks)))})
    off, on = side(off_keys), side(on_keys)
    shared = [i for i, k in enumerate(on_keys) if k in set(off_keys)]
    if shared and draw(st.booleans()):                                 # online copies some offline values exactly
        src = off.set_index(K)
        for i in draw(st.lists(st.sampled_from(shared), max_size=len(shared))):
            on.loc[i, ["x", "y"]] = src.loc[on_keys[i], ["x", "y"]].to_numpy(dtype=object)
        on["y"] = on["y"].astype("int64")
    if n and draw(st.booleans()): off = pd.concat([off, off.iloc[:1]], ignore_index=True)   # a duplicated key: the general path
    return off, on


@SETTINGS
@given(float_frames(), st.sampled_from([None, 0.0, 1e-6]))
def test_fast_paths_give_the_general_paths_report(frames, atol):
    import mlparity._parity_counts as engine
    off, on = frames
    fast = compare_frames(off, on, K, atol=atol, max_examples=3)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "_match_unique", lambda va, vb: None)       # every key through the hash join
        mp.setattr(engine, "_plain_float", lambda s: False)            # every float compared whole, not from its unequal values
        general = compare_frames(off, on, K, atol=atol, max_examples=3)
    assert fast.to_dict() == general.to_dict()
    pd.testing.assert_frame_equal(fast.pairs, general.pairs)


def test_lazy_atols_equal_the_eager_ones():
    from mlparity._parity_counts import Options, _LazyAtols, _atols, _scales, _kinds
    rng = np.random.default_rng(0)
    off = pd.DataFrame({"a": rng.normal(size=50) * 1e6, "b": [np.inf, np.nan] * 25, "c": np.arange(50), "d": ["x"] * 50})
    on = off.assign(a=off["a"] * 3)
    kinds = _kinds(off, on, list(off.columns))
    for opts in (Options(), Options(atol=0.5)):
        assert dict(_LazyAtols(off, on, kinds, opts)) == _atols(_scales(off, on, kinds), opts)


@pytest.mark.parametrize("name, sides", [("feature", ("offline", "online")), ("only_in", ("offline", "online")),
                                         ("offline", ("offline", "online")), ("serving", ("training", "serving"))])
def test_a_key_named_like_a_report_column_is_refused_by_name(name, sides):
    "A key column called `feature`, `only_in` or like a side would clash with the report's tables: a clear error, not pandas'."
    a = pd.DataFrame({name: [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=rf"key column '{name}' has the name of a column of the report's tables.*rename it"):
        compare_frames(a, a.assign(x=[1.0, 2.5, 3.0]), key=name, sides=sides)


def test_a_key_named_like_the_default_sides_works_with_other_sides():
    a = pd.DataFrame({"offline": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    r = compare_frames(a, a.assign(x=[1.0, 2.5, 3.0]), key="offline", sides=("training", "serving"))
    assert r.failing == ["x"] and list(r.examples.columns[:2]) == ["offline", "feature"]
