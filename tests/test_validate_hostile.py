"""Hostile input for `mlparity.validate` (issue 13): hand-edited schema files, far-future dates, values beyond training.

Each case asserts the error type and the words that name the problem (the file, the column, the field), or the
finding in the report. The Hypothesis fuzz of the JSON and YAML loaders is in `test_validate_loaders.py`.
"""
import json

import numpy as np
import pandas as pd
import pytest

from mlparity.datasets import make_novatech
from mlparity.validate import ColumnSchema, Schema, SchemaError

KEY = ["user_id", "product_id", "purchase_date"]
BASE = make_novatech(n_users=300, n_products=40, days=120, seed=1).interactions
SCHEMA = Schema.infer(BASE, key=KEY, name="interactions")
TZ = Schema.infer(pd.DataFrame({"when": pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC"), "x": np.arange(5.0)}))


def edited(column=None, **changes):
    "The schema's dict with `changes` made to `column` (or the top level); a value `...` deletes the field."
    d = SCHEMA.to_dict()
    target = d if column is None else next(c for c in d["columns"] if c["name"] == column)
    for k, v in changes.items():
        if v is ...: target.pop(k, None)
        else: target[k] = v
    return d


# ---------------------------------------------------------------- a hand-edited schema: every field is checked on load
HAND_EDITS = [  # (id, the dict, the words the error must hold)
    ("required 'no'", edited("user_id", required="no"), ["column 'user_id'", "field 'required'", "expected true or false", "'no'"]),
    ("is_id 1", edited("user_id", is_id=1), ["field 'is_id'", "expected true or false"]),
    ("key names no column", edited(key=["nope"]), ["field 'key'", "['nope'] are not columns of the schema"]),
    ("key a string", edited(key="user_id"), ["field 'key'", "expected a list of column names"]),
    ("key twice", edited(key=["user_id", "user_id"]), ["field 'key'", "names a column twice"]),
    ("columns a dict", edited(columns={"user_id": {"kind": "integer"}}), ["field 'columns'", "expected a non-empty list", "got dict"]),
    ("columns a string", edited(columns="user_id"), ["field 'columns'", "got str"]),
    ("columns empty", edited(columns=[]), ["field 'columns'", "non-empty list"]),
    ("columns missing", edited(columns=...), ["field 'columns'", "got NoneType"]),
    ("a column is text", edited(columns=["user_id"]), ["columns[0]", "expected a mapping of column fields"]),
    ("a column without name", {**edited(), "columns": [{"kind": "float"}]}, ["columns[0], field 'name'", "expected the column's name"]),
    ("a column twice", {**edited(), "columns": edited()["columns"] * 2}, ["described twice"]),
    ("unknown column field", edited("page_views", nul=0), ["column 'page_views'", "unknown schema field(s) ['nul']"]),
    ("unknown top field", edited(colums=[]), ["top level", "unknown schema field(s) ['colums']"]),
    ("kind int64", edited("page_views", kind="int64"), ["column 'page_views'", "field 'kind'", "expected one of integer"]),
    ("kind missing", edited("page_views", kind=...), ["field 'kind'", "got NoneType"]),
    ("min 'low'", edited("purchase_amount", min="low"), ["column 'purchase_amount'", "field 'min'", "expected a number", "'low'"]),
    ("max a list", edited("purchase_amount", max=[1]), ["field 'max'", "expected a number"]),
    ("min NaN", edited("purchase_amount", min=float("nan")), ["field 'min'", "expected a number"]),
    ("max infinite", edited("purchase_amount", max=float("inf")), ["field 'max'"]),
    ("max a bool", edited("purchase_amount", max=True), ["field 'max'", "got bool"]),
    ("min above max", edited("purchase_amount", min=10.0, max=1.0), ["field 'min'", "is above max"]),
    ("seen_min text", edited("purchase_amount", seen_min="1"), ["field 'seen_min'", "expected a number"]),
    ("a range on text", edited("category", min=1), ["column 'category'", "field 'min'", "has no range"]),
    ("categories 'abc'", edited("category", categories="abc"), ["column 'category'", "field 'categories'", "expected a list", "'abc'"]),
    ("categories nested", edited("category", categories=[["a"]]), ["field 'categories'", "expected text or numbers"]),
    ("categories a dict", edited("category", categories={"a": 1}), ["field 'categories'", "got dict"]),
    ("null_rate 'lots'", edited("purchase_amount", null_rate="lots"), ["field 'null_rate'", "between 0 and 1", "'lots'"]),
    ("null_rate 1.5", edited("purchase_amount", null_rate=1.5), ["field 'null_rate'", "between 0 and 1"]),
    ("null_rate -0.1", edited("purchase_amount", null_rate=-0.1), ["field 'null_rate'"]),
    ("dtype a number", edited("purchase_amount", dtype=64), ["field 'dtype'", "expected text"]),
    ("date min 'yesterday'", edited("purchase_date", min="yesterday"), ["column 'purchase_date'", "field 'min'", "ISO date", "'yesterday'"]),
    ("date min 'now'", edited("purchase_date", min="now"), ["field 'min'", "ISO date"]),
    ("date max a number", edited("purchase_date", max=20240101), ["field 'max'", "ISO date", "got int"]),
    ("date min after max", edited("purchase_date", min="2030-01-01", max="2020-01-01"), ["field 'min'", "is above max"]),
    ("date with offset, column naive", edited("purchase_date", min="2024-01-01T00:00:00+02:00"), ["field 'min'", "tz-aware", "column's tz is None"]),
    ("date seen_max", edited("purchase_date", seen_max="2024-01-01"), ["field 'seen_max'", "no numeric range"]),
    ("tz on a number", edited("purchase_amount", tz="UTC"), ["field 'tz'", "datetime column"]),
    ("unknown tz", edited("purchase_date", tz="Mars/Olympus", min=None, max=None), ["field 'tz'", "unknown time zone 'Mars/Olympus'"]),
    ("naive date, tz-aware column", {**TZ.to_dict(), "columns": [{**TZ.to_dict()["columns"][0], "min": "2024-01-01T00:00:00"},
                                                                  TZ.to_dict()["columns"][1]]}, ["column 'when'", "naive", "'UTC'"]),
    ("n_rows -1", edited(n_rows=-1), ["field 'n_rows'", "whole number >= 0"]),
    ("n_rows text", edited(n_rows="many"), ["field 'n_rows'"]),
    ("name a list", edited(name=["a"]), ["field 'name'", "expected text"]),
    ("version 2", edited(mlparity_schema=2), ["not an mlparity schema"]),
    ("a list", [1, 2], ["not an mlparity schema"]),
]


@pytest.mark.parametrize("d,words", [c[1:] for c in HAND_EDITS], ids=[c[0] for c in HAND_EDITS])
@pytest.mark.parametrize("fmt", ["dict", "json", "yaml"])
def test_hand_edited_schema_is_refused_naming_the_field(tmp_path, fmt, d, words):
    if fmt == "dict":
        with pytest.raises(SchemaError) as e: Schema.from_dict(d, source="interactions schema")
        assert str(e.value).startswith("interactions schema: ")
    else:
        import yaml
        path = tmp_path / f"interactions.{fmt}"
        path.write_text(json.dumps(d) if fmt == "json" else yaml.safe_dump(d, sort_keys=False))
        with pytest.raises(SchemaError) as e: Schema.load(path)
        assert f"schema file {str(path)!r}: " in str(e.value)
    for w in words: assert w in str(e.value), str(e.value)
    assert isinstance(e.value, ValueError)


BROKEN_TEXT = [  # (id, loader, text, words)
    ("truncated JSON", "json", SCHEMA.to_json()[:250], ["not valid JSON", "line", "truncated"]),
    ("empty JSON", "json", "", ["not valid JSON"]),
    ("JSON of a list", "json", "[1, 2]", ["not an mlparity schema"]),
    ("JSON nested 100,000 deep", "json", "[" * 100_000, ["cannot be read as JSON", "RecursionError"]),
    ("broken YAML", "yaml", "mlparity_schema: 1\ncolumns: [a, b\n", ["not valid YAML", "line"]),
    ("YAML tab indent", "yaml", "mlparity_schema: 1\ncolumns:\n\t- name: x\n", ["not valid YAML"]),
    ("YAML impossible date", "yaml", SCHEMA.to_yaml().replace("min: '", "min: 2024-13-45 #", 1), ["cannot be read as YAML", "month"]),
    ("YAML nested 10,000 deep", "yaml", "[" * 10_000, ["YAML"]),
    ("YAML python object", "yaml", "!!python/object/apply:os.system ['true']", ["not valid YAML"]),
    ("YAML a scalar", "yaml", "just text", ["not an mlparity schema"]),
    ("YAML empty", "yaml", "", ["not an mlparity schema"]),
    ("Latin-1 bytes", "yaml", "mlparity_schema: 1\nname: caf\xe9\n".encode("latin-1"), ["not UTF-8 text"]),
]


@pytest.mark.parametrize("loader,text,words", [c[1:] for c in BROKEN_TEXT], ids=[c[0] for c in BROKEN_TEXT])
def test_broken_text_is_a_named_schema_error(loader, text, words):
    load = Schema.from_json if loader == "json" else Schema.from_yaml
    with pytest.raises(SchemaError) as e: load(text, source="interactions.schema")
    assert str(e.value).startswith("interactions.schema: "), str(e.value)
    for w in words: assert w in str(e.value), str(e.value)


def test_loading_files(tmp_path):
    for suffix in ("json", "yaml", "yml", "txt"):
        p = SCHEMA.save(tmp_path / f"s.{suffix}")
        assert Schema.load(p) == SCHEMA and Schema.load(str(p)) == SCHEMA
    assert (tmp_path / "s.yaml").read_text().startswith("mlparity_schema: 1\nname: interactions")
    with pytest.raises(FileNotFoundError, match="nope.yaml"): Schema.load(tmp_path / "nope.yaml")
    (tmp_path / "cut.json").write_text(SCHEMA.to_json()[:100])
    with pytest.raises(SchemaError, match=r"schema file '.*cut\.json': not valid JSON"): Schema.load(tmp_path / "cut.json")
    with pytest.raises(TypeError, match="expected the schema as text, got NoneType"): Schema.from_json(None)


def test_friendly_spellings_that_mean_the_same_are_accepted():
    d = edited("purchase_date")
    col = next(c for c in d["columns"] if c["name"] == "purchase_date")
    text = json.dumps(d).replace(json.dumps(col["min"]), '"2023-01-01"')
    assert Schema.from_json(text)["purchase_date"].min == "2023-01-01"
    import yaml
    y = SCHEMA.to_yaml().replace(f"min: '{SCHEMA['purchase_date'].min}'", "min: 2023-01-01")   # an unquoted YAML date
    assert Schema.from_yaml(y)["purchase_date"].min == "2023-01-01T00:00:00"
    ints = edited("page_views", min=0, max=200)                                                  # ints for a range
    assert Schema.from_dict(ints)["page_views"].max == 200
    old = edited("page_views", seen_min=..., seen_max=...)                                       # a file from before seen_*
    assert Schema.from_dict(old)["page_views"].seen_max is None and Schema.from_dict(old).validate(BASE).ok


def test_schema_built_in_code_is_checked_too():
    with pytest.raises(ValueError, match=r"key column\(s\) \['nope'\] are not columns of the schema"):
        Schema(SCHEMA.columns, key=["nope"])
    with pytest.raises(TypeError, match="columns must be a dict of column name -> ColumnSchema"):
        Schema([ColumnSchema("x", "float")])
    with pytest.raises(TypeError, match="columns must be a dict"): Schema({"x": {"kind": "float"}})


# ---------------------------------------------------------------- datetimes get a max
def test_far_future_dates_fail_as_text_and_as_datetimes():
    b = BASE.head(30).copy()
    text = b.assign(purchase_date=b.purchase_date.astype(str))
    text.loc[3, "purchase_date"], text.loc[4, "purchase_date"] = "9999-12-31 00:00:00", "2262-04-11 00:00:00"
    rep = SCHEMA.validate(text)
    assert [(f.check, f.evidence["rows"]) for f in rep.errors] == [("validate.range", [3, 4])], str(rep)
    assert "after" in rep.errors[0].message and "training end plus horizon" in rep.errors[0].message
    for unit, when in (("ns", "2262-04-11"), ("us", "9999-12-31"), ("s", "9999-12-31")):
        d = b.assign(purchase_date=b.purchase_date.astype(f"datetime64[{unit}]"))
        d.loc[7, "purchase_date"] = pd.Timestamp(when)
        assert [(f.check, f.evidence["rows"]) for f in SCHEMA.validate(d).errors] == [("validate.range", [7])], unit


def test_horizon():
    last = BASE.purchase_date.max()
    assert pd.Timestamp(SCHEMA["purchase_date"].max) == last + pd.Timedelta("365D")
    s = Schema.infer(BASE, key=KEY, horizon="30D")
    later = BASE.head(5).assign(purchase_date=last + pd.Timedelta("31D") + pd.to_timedelta(np.arange(5), unit="s"))
    assert [f.check for f in s.validate(later).errors] == ["validate.range"]
    assert Schema.infer(BASE, key=KEY, horizon=None)["purchase_date"].max is None
    assert Schema.infer(BASE, key=KEY, horizon=None).validate(later).ok
    for bad, words in ((30, "bare number"), (30.0, "bare number"), ("-1D", ">= 0"), ("soon", "duration such as '365D'"),
                       (pd.NaT, ">= 0")):
        with pytest.raises(ValueError, match="horizon must be") as e: Schema.infer(BASE, horizon=bad)
        assert words in str(e.value), str(e.value)


def test_tz_aware_date_bounds():
    assert TZ["when"].max.endswith("+00:00")
    late = pd.DataFrame({"when": pd.date_range("2030-01-01", periods=2, tz="Europe/Berlin"), "x": [1.0, 2.0]})
    assert [f.check for f in TZ.validate(late).errors] == ["validate.range"]
    assert Schema.from_json(TZ.to_json()) == TZ


# ---------------------------------------------------------------- beyond the range seen in training: a warning
def test_values_beyond_training_but_inside_the_margin_warn_once():
    col = SCHEMA["page_views"]
    assert col.min <= col.seen_min <= col.seen_max <= col.max and col.seen_max == BASE.page_views.max()
    b = BASE.head(20).copy()
    b.loc[2, "page_views"] = col.seen_max + 1          # in the margin: a warning
    b.loc[5, "page_views"] = col.max + 1               # beyond the margin: an error, not also a warning
    rep = SCHEMA.validate(b)
    assert [(f.check, f.severity, f.evidence["rows"]) for f in rep] == [
        ("validate.range", "error", [5]), ("validate.beyond_training", "warning", [2])], str(rep)
    w = rep.warnings[0]
    assert w.evidence["seen_max"] == col.seen_max and "outside the range seen in training" in w.message
    assert rep.failing == ["page_views"]
    low = BASE.head(20).assign(purchase_amount=lambda d: d.purchase_amount.where(d.index != 4, SCHEMA["purchase_amount"].seen_min / 2))
    assert [(f.check, f.evidence["rows"]) for f in SCHEMA.validate(low)] == [("validate.beyond_training", [4])]
    assert Schema.infer(BASE, key=KEY, tolerance=0).validate(b).errors[0].evidence["rows"] == [2, 5]   # no margin: both fail


# ---------------------------------------------------------------- the fast paths agree with a loop (issue 15: extremes first, masks on failure)
from hypothesis import given, settings, strategies as st


@settings(max_examples=80, deadline=None)
@given(train=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30),
       batch=st.lists(st.one_of(st.none(), st.floats(-2e6, 2e6)), min_size=1, max_size=40),
       tol=st.sampled_from([0.0, 0.1, 0.5]), cats=st.lists(st.sampled_from(list("abcdz")), min_size=1, max_size=40))
def test_ranges_margins_and_categories_agree_with_a_loop(train, batch, tol, cats):
    s = Schema.infer(pd.DataFrame({"x": train, "c": (list("abcd") * 10)[:len(train)]}), tolerance=tol)
    c = s["x"]
    n = max(len(batch), len(cats))
    df = pd.DataFrame({"x": pd.Series((batch * n)[:n], dtype="float64").to_numpy(), "c": (cats * n)[:n]}, index=np.arange(n) * 7 + 3)
    rep = s.validate(df, max_examples=10 ** 6)
    got = {}
    for f in rep: got.setdefault((f.check, f.severity), []).extend(f.evidence.get("rows", []))
    want = {}
    for i, (v, k) in zip(df.index, zip(df.x, df.c)):
        if pd.isna(v): want.setdefault(("validate.null_rate" if c.null_rate else "validate.nulls", "error"), []).append(i)
        elif v < c.min or v > c.max: want.setdefault(("validate.range", "error"), []).append(i)
        elif v < c.seen_min or v > c.seen_max: want.setdefault(("validate.beyond_training", "warning"), []).append(i)
        if k not in s["c"].categories: want.setdefault(("validate.categories", "error"), []).append(i)
    if ("validate.null_rate", "error") in want and df.x.isna().mean() <= c.null_rate + 0.05: del want[("validate.null_rate", "error")]
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}, str(rep)


# ---------------------------------------------------------------- arguments are checked up front
ARGUMENTS = [
    ("max_examples -1", lambda: SCHEMA.validate(BASE, max_examples=-1), ValueError, "max_examples must be a whole number >= 0"),
    ("max_examples 2.5", lambda: SCHEMA.validate(BASE, max_examples=2.5), ValueError, "max_examples"),
    ("null_slack text", lambda: SCHEMA.validate(BASE, null_slack="0.1"), ValueError, "null_slack must be a share"),
    ("null_slack NaN", lambda: SCHEMA.validate(BASE, null_slack=float("nan")), ValueError, "null_slack"),
    ("lazy 'no'", lambda: SCHEMA.validate(BASE, lazy="no"), TypeError, "lazy must be True or False"),
    ("raise_on_error 1", lambda: SCHEMA.validate(BASE, raise_on_error=1), TypeError, "raise_on_error must be True or False"),
    ("max_categories -1", lambda: Schema.infer(BASE, max_categories=-1), ValueError, "max_categories must be a whole number"),
    ("max_categories '50'", lambda: Schema.infer(BASE, max_categories="50"), ValueError, "max_categories"),
    ("tolerance inf", lambda: Schema.infer(BASE, tolerance=float("inf")), ValueError, "tolerance must be a number >= 0"),
    ("name a list", lambda: Schema.infer(BASE, name=["x"]), TypeError, "name must be text"),
]


@pytest.mark.parametrize("call,exc,words", [a[1:] for a in ARGUMENTS], ids=[a[0] for a in ARGUMENTS])
def test_arguments_are_checked_up_front(call, exc, words):
    with pytest.raises(exc) as e: call()
    assert words in str(e.value), str(e.value)


# ---------------------------------------------------------------- infer's fast paths give what the plain pandas reading gives
def _reference_column(s, tolerance=0.1, max_categories=50):
    "The range, null rate and categories of training column `s`, computed the plain way (dropna, min, max, unique)."
    v = s.dropna()
    out = {"null_rate": float(s.isna().mean()), "min": None, "max": None, "categories": None}
    if not len(v): return out
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        lo, hi = float(v.min()), float(v.max())
        pad = tolerance * (hi - lo)
        out["min"], out["max"] = (max(lo - pad, 0.0) if lo >= 0 else lo - pad), hi + pad
        if pd.api.types.is_integer_dtype(s.dtype): out["min"], out["max"] = float(np.floor(out["min"])), float(np.ceil(out["max"]))
    else:
        u = v.unique()
        if isinstance(s.dtype, pd.CategoricalDtype) or len(u) <= max_categories: out["categories"] = sorted(u.tolist(), key=str)
    return out


COLUMNS = st.one_of(
    st.lists(st.integers(-10 ** 12, 10 ** 12), min_size=1, max_size=50).map(lambda x: pd.Series(x, dtype="int64")),
    st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), min_size=1, max_size=50).map(lambda x: pd.Series(x, dtype="Int64")),
    st.lists(st.one_of(st.none(), st.floats(-1e9, 1e9)), min_size=1, max_size=50).map(lambda x: pd.Series(x, dtype="float64")),
    st.lists(st.one_of(st.none(), st.sampled_from(list("abcdefgh"))), min_size=1, max_size=50).map(lambda x: pd.Series(x, dtype="str")),
    st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=1, max_size=80).map(lambda x: pd.Series(x, dtype=object)),
    st.lists(st.sampled_from(list("xyz")), min_size=1, max_size=50).map(lambda x: pd.Series(pd.Categorical(x, categories=list("xyzw")))),
    st.lists(st.booleans(), min_size=1, max_size=50).map(lambda x: pd.Series(x, dtype=bool)),
)


@settings(max_examples=120, deadline=None)
@given(col=COLUMNS, most=st.sampled_from([0, 3, 50]))
def test_infer_agrees_with_the_plain_reading(col, most):
    if col.isna().all() and col.dtype == object: col = col.astype("str")
    s = Schema.infer(pd.DataFrame({"c": col}), ids=[], max_categories=most)["c"]
    ref = _reference_column(col, max_categories=most)
    assert s.null_rate == pytest.approx(ref["null_rate"])
    assert (s.min, s.max) == (ref["min"], ref["max"])
    assert s.categories == ref["categories"]


def test_many_distinct_texts_stop_early_but_a_categorical_keeps_all():
    words = pd.Series([f"w{i}" for i in range(40_000)], dtype="str")
    assert Schema.infer(pd.DataFrame({"c": words}))["c"].categories is None
    late = pd.Series(["a"] * 30_000 + [f"w{i}" for i in range(60)], dtype="str")          # the many values come late
    assert Schema.infer(pd.DataFrame({"c": late}))["c"].categories is None
    few = pd.Series(["a"] * 30_000 + ["b", "c"], dtype="str")
    assert Schema.infer(pd.DataFrame({"c": few}))["c"].categories == ["a", "b", "c"]
    cat = pd.Series(pd.Categorical([f"w{i}" for i in range(100)]))
    assert len(Schema.infer(pd.DataFrame({"c": cat}))["c"].categories) == 100
