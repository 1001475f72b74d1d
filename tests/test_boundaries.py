"""Property tests (Hypothesis) and bad-input tables for `mlparity.boundaries`."""
import bisect, json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from mlparity.boundaries import Binner, boundary_values, check_binning

AGE_EDGES = [0, 18, 35, 50, 100]

# --- strategies -----------------------------------------------------------------------------------------------------
finite = st.floats(allow_nan=False, allow_infinity=False)
edge_lists = st.lists(st.floats(allow_nan=False), min_size=2, max_size=6, unique=True).map(sorted)


@st.composite
def edges_and_values(draw):
    "Strictly increasing edges, and values drawn from the edges, their float neighbours, and any float (NaN, ±inf)."
    edges = draw(edge_lists)
    e = np.asarray(edges, dtype=float)
    with np.errstate(over="ignore"): near = sorted(set(np.nextafter(e, -np.inf).tolist() + np.nextafter(e, np.inf).tolist()))
    value = st.one_of(st.sampled_from(edges), st.sampled_from(near), st.floats(), st.just(float("nan")))
    return edges, draw(st.lists(value, min_size=1, max_size=30))


def pd_cut_codes(values, edges, right):
    "pd.cut's answer with labels=False, NaN written as -1."
    out = pd.cut(pd.Series(values, dtype="float64"), bins=edges, right=right, labels=False)
    return out.fillna(-1).astype(int).tolist()


# --- Binner: batch == per-request == pd.cut -------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(edges_and_values(), st.booleans())
def test_transform_equals_transform_one_and_pd_cut(ev, right):
    edges, values = ev
    b = Binner(edges, right=right)
    batch = b.transform(pd.Series(values, dtype="float64")).tolist()
    assert batch == [b.transform_one(v) for v in values]
    assert batch == pd_cut_codes(values, edges, right)
    assert batch == b.transform(np.asarray(values)).tolist() == b.transform(list(values)).tolist()


@settings(max_examples=100, deadline=None)
@given(edges_and_values(), st.booleans())
def test_labels_follow_codes(ev, right):
    edges, values = ev
    labels = [f"bin{i}" for i in range(len(edges) - 1)]
    b = Binner(edges, right=right, labels=labels)
    batch = b.transform(pd.Series(values, dtype="float64")).tolist()
    assert batch == [b.transform_one(v) for v in values]
    cut = pd.cut(pd.Series(values, dtype="float64"), bins=edges, right=right, labels=labels)
    assert batch == [None if pd.isna(x) else x for x in cut.astype(object)]


@settings(max_examples=100, deadline=None)
@given(edges_and_values())
def test_one_hot_rows(ev):
    edges, values = ev
    b = Binner(edges)
    oh, codes = b.one_hot(values), b.codes(values)
    assert oh.shape == (len(values), len(edges) - 1)
    assert (oh.sum(axis=1) == (codes >= 0)).all()
    assert all(oh[i, c] == 1 for i, c in enumerate(codes) if c >= 0)


@settings(max_examples=50, deadline=None)
@given(edge_lists, st.booleans())
def test_binner_passes_check_binning_and_config_round_trip(edges, right):
    b = Binner(edges, right=right)
    assert check_binning(b.transform, b.transform_one, edges).ok
    assert Binner.from_dict(json.loads(json.dumps(b.to_dict()))) == b


@settings(max_examples=50, deadline=None)
@given(edge_lists)
def test_check_binning_finds_exactly_the_edges_when_sides_differ(edges):
    "(a, b] against [a, b): the two disagree on every edge and nowhere else among the boundary values."
    closed_right, closed_left = Binner(edges, right=True), Binner(edges, right=False)
    rep = check_binning(closed_right.transform, closed_left.transform_one, edges)
    assert not rep.ok
    assert sorted(float(v) for v in rep.tables["disagreements"]["value"]) == sorted(map(float, edges))


# --- boundary_values ------------------------------------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(edge_lists, st.booleans(), st.booleans())
def test_boundary_values_shape(edges, out_of_range, nan):
    v = boundary_values(edges, include_out_of_range=out_of_range, include_nan=nan)
    body = v[:-1] if nan else v
    assert np.isnan(v[-1]) == nan and not np.isnan(body).any()
    assert (np.diff(body) > 0).all()                               # sorted and unique
    assert set(map(float, edges)) <= set(body.tolist())            # every edge
    e = np.asarray(edges, dtype=float)
    inside = lambda x: x[(x >= e[0]) & (x <= e[-1])]
    with np.errstate(over="ignore"): below, above = np.nextafter(e, -np.inf), np.nextafter(e, np.inf)
    assert set(inside(below).tolist()) <= set(body.tolist()) and set(inside(above).tolist()) <= set(body.tolist())
    if out_of_range: assert body[0] < e[0] or body[0] == -np.inf
    else: assert body[0] >= e[0] and body[-1] <= e[-1]


def test_boundary_values_ages():
    v = boundary_values(AGE_EDGES)
    assert len(v) == 26 and np.isnan(v[-1])
    assert {17.999999999999996, 18.0, 18.000000000000004, 26.5, -np.inf, np.inf}.issubset(v[:-1].tolist())


# --- check_binning on the story's pairs -----------------------------------------------------------------------------
def offline(s): return pd.cut(s, bins=AGE_EDGES, labels=False)


def test_seed_pair_agrees_on_edges_but_not_outside():
    rep = check_binning(offline, lambda a: bisect.bisect_left([18, 35, 50, 100], a), AGE_EDGES)
    values = set(rep.tables["disagreements"]["value"])
    assert not rep.ok and not values & {"18.0", "35.0", "50.0", "100.0"}
    assert {"0.0", "101.0", "nan"} <= values


@pytest.mark.parametrize("online", [lambda a: bisect.bisect_right([18, 35, 50, 100], a),
                                    lambda a: int(np.digitize(a, [18, 35, 50, 100]))], ids=["bisect_right", "digitize"])
def test_buggy_pair_fails_on_the_edges(online):
    rep = check_binning(offline, online, AGE_EDGES, subject="age_bucket")
    d = rep.tables["disagreements"].set_index("value")
    assert not rep.ok
    assert d.loc[["18.0", "35.0", "50.0", "100.0"], "online"].tolist() == [1, 2, 3, 4]
    with pytest.raises(AssertionError, match="age_bucket at 18.0"): rep.assert_ok()


def test_fixed_pair_passes_and_equals_pd_cut():
    b = Binner.from_dict({"edges": AGE_EDGES, "right": True})
    check_binning(b.transform, b.transform_one, AGE_EDGES).assert_ok()
    check_binning(lambda s: pd.cut(s, AGE_EDGES).cat.codes, b.transform_one, AGE_EDGES).assert_ok()


def test_exceptions_are_findings():
    rep = check_binning(offline, lambda a: bisect.bisect_right([18, 35, 50, 100], int(a)), AGE_EDGES)
    d = rep.tables["disagreements"].set_index("value")
    assert d.loc["nan", "online"] == "raised ValueError: cannot convert float NaN to integer"
    assert d.loc["inf", "online"].startswith("raised OverflowError")


def test_batch_exception_is_localised():
    def fragile(s):
        if s.isna().any(): raise KeyError("no NaN please")
        return pd.cut(s, AGE_EDGES, labels=False)
    rep = check_binning(fragile, lambda a: Binner(AGE_EDGES).transform_one(a), AGE_EDGES)
    d = rep.tables["disagreements"]
    assert d.loc[d["value"] == "nan", "offline"].item() == "raised KeyError: 'no NaN please'"


def test_both_raising_is_agreement():
    def boom(x): raise ValueError("no")
    # both paths raise on every input: they agree, but nothing was compared, so it is not a pass
    rep = check_binning(lambda s: [boom(v) for v in s], boom, AGE_EDGES)
    assert not rep.ok and len(rep.tables["disagreements"]) == 0
    assert "nothing was compared" in rep.errors[0].message and rep.errors[0].evidence["compared"] == 0
    info = [f for f in rep.findings if f.message.startswith("both paths raise on 26")]
    assert len(info) == 1 and info[0].severity == "info" and len(info[0].evidence["values"]) == 26
    assert info[0].evidence["first_online"] == "raised ValueError: no"
    only_nan = check_binning(lambda s: [boom(v) if np.isnan(v) else 0 for v in s],
                             lambda x: boom(x) if np.isnan(x) else 0, AGE_EDGES)
    assert only_nan.ok and np.isnan([f for f in only_nan.findings if f.severity == "info"][-1].evidence["values"][0])


def test_check_binning_custom_values_and_report_json():
    rep = check_binning(offline, lambda a: bisect.bisect_right([18, 35, 50, 100], a), AGE_EDGES, values=[25, 42, 67, 19, 33])
    assert rep.ok                                           # the legacy parity test's ages: the decoy
    rep = check_binning(offline, lambda a: bisect.bisect_right([18, 35, 50, 100], a), AGE_EDGES, values=[18])
    d = json.loads(rep.to_json())
    assert d["ok"] is False and d["tables"]["disagreements"]["data"] == [["18.0", 0.0, 1]]


# --- bad input ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("edges, message", [
    ([0, 35, 18, 50], "edges must increase: edges[1]=35.0 > edges[2]=18.0; sort them"),
    ([0, 18, 18, 50], "duplicate: edges[1] == edges[2] == 18.0"),
    ([0.0, -0.0, 1], "duplicate"),
    ([18], "at least 2 values"),
    ([], "at least 2 values"),
    ([0, float("nan"), 50], "edges[1] is NaN"),
    ("0,18,35", "1-D list of numbers"),
    ([[0, 18], [35, 50]], "1-D list of numbers"),
    (["a", "b"], "edges must be numbers"),
    (5, "1-D list of numbers"),
])
def test_bad_edges(edges, message):
    with pytest.raises(ValueError) as e: Binner(edges)
    assert message in str(e.value)
    with pytest.raises(ValueError) as e: boundary_values(edges)
    assert message in str(e.value)
    with pytest.raises(ValueError): check_binning(offline, float, edges)


@pytest.mark.parametrize("kwargs, message", [
    (dict(labels=["a", "b"]), "labels has 2 entries but 5 edges make 4 bins"),
    (dict(labels=["a", "b", "c", "d", "e"]), "labels has 5 entries"),
    (dict(labels=["a", "a", "b", "c"]), "labels must be unique"),
    (dict(labels=["a", None, "b", "c"]), "must not be None or NaN"),
    (dict(labels="abcd"), "one label per bin"),
    (dict(right="yes"), "right must be True or False"),
])
def test_bad_binner_arguments(kwargs, message):
    with pytest.raises(ValueError, match=None) as e: Binner(AGE_EDGES, **kwargs)
    assert message in str(e.value)


def test_bad_values_and_configs():
    b = Binner(AGE_EDGES)
    with pytest.raises(TypeError, match=r"value at position 1 is 'x' \(str\)"): b.transform([1, "x"])
    with pytest.raises(TypeError, match="use transform"): b.transform_one([1, 2])
    with pytest.raises(ValueError, match=r"unknown Binner config keys \['method'\]"):
        Binner.from_dict({"edges": AGE_EDGES, "method": "bisect_left"})
    with pytest.raises(ValueError, match="dict with 'edges'"): Binner.from_dict({"bins": AGE_EDGES})
    with pytest.raises(TypeError, match="must be callables"): check_binning(offline, None, AGE_EDGES)
    with pytest.raises(ValueError, match="returned 1 answers for 26 inputs"): check_binning(lambda s: [0], float, AGE_EDGES)
    with pytest.raises(ValueError, match="values must be numbers"): check_binning(offline, float, AGE_EDGES, values=["x"])
    with pytest.raises(ValueError, match="values is empty: there is nothing to compare"): check_binning(offline, float, AGE_EDGES, values=[])
    with pytest.raises(TypeError, match="values must be one-dimensional"): b.transform(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="values must be one-dimensional"): b.codes(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    with pytest.raises(TypeError, match=r"value at position 0 is \(1\+2j\) \(complex\)"): b.transform_one(1 + 2j)
    with pytest.raises(TypeError, match=r"value at position 0 is .*Timestamp"): b.transform([pd.Timestamp("2025-01-01")])
    with pytest.raises(ValueError, match="right must be True or False"): Binner.from_dict({"edges": AGE_EDGES, "right": "no"})
    with pytest.raises(ValueError, match="one label per bin"): Binner.from_dict({"edges": AGE_EDGES, "labels": "abcd"})
    with pytest.raises(ValueError, match="1-D list of numbers"): Binner.from_dict({"edges": "0,18,35"})


def test_missing_inputs_have_a_defined_answer():
    b, named = Binner(AGE_EDGES), Binner(AGE_EDGES, labels=list("abcd"))
    for x in (None, np.nan, pd.NA, float("inf"), -1.0, 0, 100.5):
        assert b.transform_one(x) == -1 and named.transform_one(x) is None
    s = pd.Series([1, None, 40], dtype="Int64", index=[10, 11, 12], name="age")
    out = b.transform(s)
    assert out.tolist() == [0, -1, 2] and out.index.tolist() == [10, 11, 12] and out.name == "age"
    assert named.transform(pd.Series([np.nan, 20.0])).tolist() == [None, "b"]
    assert b.transform(pd.Series([1.0, None], dtype=object)).tolist() == [0, -1]


def test_binner_methods_live_in_the_class():
    "to_dict, from_dict, __eq__ and __repr__ are written in the class body (one way to put methods on a class)."
    for name in ("to_dict", "from_dict", "__eq__", "__repr__"):
        assert name in Binner.__dict__, name
        assert getattr(Binner, name).__qualname__.startswith("Binner."), name
    assert Binner.__hash__ is None
    b = Binner(AGE_EDGES, labels=list("abcd"))
    assert repr(b) == "Binner(edges=[0.0, 18.0, 35.0, 50.0, 100.0], right=True, labels=['a', 'b', 'c', 'd'])"
    assert b == Binner.from_dict(b.to_dict()) and b != Binner(AGE_EDGES)


def test_empty_and_nullable_inputs_give_empty_or_defined_answers():
    b = Binner(AGE_EDGES)
    assert b.codes([]).tolist() == [] and b.one_hot([]).shape == (0, 4)
    assert b.transform(pd.Series([], dtype="float64")).tolist() == []
    assert b.transform(pd.Series([18, pd.NA, 36], dtype="Int64")).tolist() == [0, -1, 2]
    assert b.transform(pd.Series([18.0, None], dtype="Float64")).tolist() == [0, -1]


def _hostile():
    b = Binner(AGE_EDGES)
    return [
        ("offline not callable", lambda: check_binning("pd.cut", float, AGE_EDGES), TypeError, "must be callables"),
        ("online not callable", lambda: check_binning(offline, 18, AGE_EDGES), TypeError, "must be callables"),
        ("edges a string", lambda: check_binning(offline, float, "0,18,35"), ValueError, "1-D list of numbers"),
        ("edges unsorted", lambda: check_binning(offline, float, [0, 35, 18]), ValueError, "edges must increase"),
        ("values text", lambda: check_binning(offline, float, AGE_EDGES, values=["eighteen"]), ValueError, "values must be numbers"),
        ("values empty", lambda: check_binning(offline, float, AGE_EDGES, values=[]), ValueError, "values is empty"),
        ("offline answers too few", lambda: check_binning(lambda s: s[:3], float, AGE_EDGES), ValueError, "returned 3 answers for 26 inputs"),
        ("Binner edges None", lambda: Binner(None), ValueError, "1-D list of numbers"),
        ("Binner edges with NaN", lambda: Binner([0, float("nan")]), ValueError, "edges[1] is NaN"),
        ("Binner right as text", lambda: Binner(AGE_EDGES, right="left"), ValueError, "right must be True or False"),
        ("transform of text", lambda: b.transform(["18"]), TypeError, "value at position 0 is '18' (str)"),
        ("transform of a table", lambda: b.transform([[18, 35]]), TypeError, "values must be one-dimensional"),
        ("transform_one of a list", lambda: b.transform_one([18]), TypeError, "takes one value"),
        ("transform_one of text", lambda: b.transform_one("18"), TypeError, "bins are defined for numbers only"),
        ("from_dict of a list", lambda: Binner.from_dict(AGE_EDGES), ValueError, "a Binner config is a dict with 'edges'"),
        ("from_dict with a typo", lambda: Binner.from_dict({"edges": AGE_EDGES, "rigth": True}), ValueError, "unknown Binner config keys ['rigth']"),
    ]


@pytest.mark.parametrize("name,call,exc,msg", _hostile(), ids=[c[0] for c in _hostile()])
def test_hostile_inputs(name, call, exc, msg):
    with pytest.raises(exc) as e: call()
    assert msg in str(e.value), str(e.value)
