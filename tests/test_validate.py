"""Non-lesson tests of `mlparity.validate`: bad input, representations, brute force, and Hypothesis properties."""
import json, os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlparity.datasets import make_novatech
from mlparity.validate import ColumnSchema, DataValidationError, Schema, check_compatibility

KEY = ["user_id", "product_id", "purchase_date"]
BASE = make_novatech(n_users=300, n_products=40, days=120, seed=1).interactions
SCHEMA = Schema.infer(BASE, key=KEY, name="interactions")


def errors(rep): return [(f.check, f.subject, f.evidence.get("rows")) for f in rep.errors]


# ---------------------------------------------------------------- bad input: a clear error, never a deep traceback
BAD_INPUT = [
    ("infer: not a frame", lambda: Schema.infer(BASE.to_dict("list")), TypeError, "must be a pandas DataFrame, got dict"),
    ("infer: None", lambda: Schema.infer(None), TypeError, "got NoneType"),
    ("infer: no rows", lambda: Schema.infer(BASE.iloc[:0]), ValueError, "df is empty (0 rows"),
    ("infer: no columns", lambda: Schema.infer(pd.DataFrame(index=[1, 2])), ValueError, "is empty (2 rows, 0 columns)"),
    ("infer: duplicate names", lambda: Schema.infer(pd.concat([BASE, BASE["page_views"]], axis=1)), ValueError,
     "duplicate column names ['page_views']"),
    ("infer: key missing", lambda: Schema.infer(BASE, key=["user"]), KeyError, "key column(s) ['user'] not in df"),
    ("infer: ids missing", lambda: Schema.infer(BASE, ids=["uid"]), KeyError, "ids column(s) ['uid']"),
    ("infer: key not unique", lambda: Schema.infer(pd.concat([BASE, BASE.iloc[[4, 9]]]), key=KEY), ValueError,
     "2 duplicate row(s)"),
    ("infer: negative tolerance", lambda: Schema.infer(BASE, tolerance=-0.1), ValueError, "tolerance must be a number >= 0"),
    ("infer: tolerance as text", lambda: Schema.infer(BASE, tolerance="0.1"), ValueError, "tolerance must be a number"),
    ("infer: NaN tolerance", lambda: Schema.infer(BASE, tolerance=float("nan")), ValueError, "tolerance must be"),
    ("infer: mixed column", lambda: Schema.infer(pd.DataFrame({"x": [1, "a", 2.5]})), TypeError, "mixes kinds"),
    ("validate: not a frame", lambda: SCHEMA.validate(BASE.to_numpy()), TypeError, "got ndarray"),
    ("validate: no rows", lambda: SCHEMA.validate(BASE.iloc[:0]), ValueError, "df is empty (0 rows"),
    ("validate: other table", lambda: SCHEMA.validate(make_novatech(n_users=50, n_products=8).users), ValueError,
     "is this schema for a different table?"),
    ("validate: other table, one shared column", lambda: SCHEMA.validate(BASE[["user_id"]].assign(x=1)), ValueError,
     "only 1 of the 7 columns"),
    ("from_dict: not a schema", lambda: Schema.from_dict({"columns": []}), ValueError, "not an mlparity schema"),
    ("from_dict: a list", lambda: Schema.from_dict([1, 2]), ValueError, "not an mlparity schema"),
    ("from_dict: unknown field", lambda: Schema.from_dict({"mlparity_schema": 1, "columns": [{"name": "x", "kind": "float", "nul": 0}]}),
     ValueError, "unknown schema field(s) ['nul']"),
    ("from_yaml: garbage", lambda: Schema.from_yaml("just text"), ValueError, "not an mlparity schema"),
    ("column: bad kind", lambda: ColumnSchema("x", "int64"), ValueError, "kind must be one of integer"),
    ("compat: frame for schema", lambda: check_compatibility(SCHEMA, BASE), TypeError, "new must be a Schema, got DataFrame"),
    ("compat: dict for schema", lambda: check_compatibility(SCHEMA.to_dict(), SCHEMA), TypeError, "old must be a Schema, got dict"),
]


@pytest.mark.parametrize("call,exc,msg", [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc) as e: call()
    assert msg in str(e.value), str(e.value)


# ---------------------------------------------------------------- representations that mean the same data
SAME = {
    "category as str": lambda b: b.astype({"category": "str"}),
    "category as object": lambda b: b.astype({"category": "object"}),
    "category as categorical with extra unused categories": lambda b: b.assign(
        category=pd.Categorical(b.category.astype(str), categories=list(b.category.cat.categories) + ["unused"])),
    "dates as ISO text": lambda b: b.assign(purchase_date=b.purchase_date.astype(str)),
    "dates in us": lambda b: b.assign(purchase_date=b.purchase_date.astype("datetime64[us]")),
    "ids as float": lambda b: b.astype({"user_id": "float64", "product_id": "float64"}),
    "counts as nullable Int64": lambda b: b.astype({"page_views": "Int64", "session_duration": "Int64"}),
    "amount as float32": lambda b: b.astype({"purchase_amount": "float32"}),
    "columns reordered": lambda b: b[b.columns[::-1]],
    "non-default index": lambda b: b.set_index(b.index * 3 + 1000),
}


@pytest.mark.parametrize("name", SAME)
def test_same_data_other_representation_validates(name):
    rep = SCHEMA.validate(SAME[name](BASE))
    assert rep.ok, str(rep)


def test_pandas_str_training_and_object_serving_agree():
    train = pd.DataFrame({"c": pd.array(["a", "b", "a"], dtype="str")})
    s = Schema.infer(train)
    assert s["c"].kind == "string" and s["c"].categories == ["a", "b"]
    assert s.validate(pd.DataFrame({"c": pd.Series(["b", "a"], dtype=object)})).ok
    assert errors(s.validate(pd.DataFrame({"c": pd.Series(["b", "z"], dtype=object)}))) == [("validate.categories", "c", [1])]


# ---------------------------------------------------------------- time zones
def _tz_frame(tz):
    d = pd.date_range("2024-01-01", periods=5, freq="D", tz=tz)
    return pd.DataFrame({"when": d, "x": np.arange(5.0)})


def test_tz_aware_schema():
    s = Schema.infer(_tz_frame("UTC"))
    assert s["when"].tz == "UTC" and s.to_frame().loc[0, "kind"] == "datetime (UTC)"
    assert s.validate(_tz_frame("Europe/Berlin")).ok                      # same instants, another zone: comparable
    naive = s.validate(_tz_frame(None))
    assert [f.check for f in naive.errors] == ["validate.dtype"] and "tz_localize('UTC')" in naive.errors[0].message
    text = _tz_frame("UTC").assign(when=lambda d: d.when.astype(str))     # '2024-01-01 00:00:00+00:00'
    assert s.validate(text).ok
    mixed = text.assign(when=["2024-01-01 00:00:00+00:00", "2024-01-02 01:00:00+01:00"] + list(text.when[2:]))
    assert s.validate(mixed).ok                                           # mixed offsets, same instants
    naive_text = _tz_frame(None).assign(when=lambda d: d.when.astype(str))
    assert [f.check for f in s.validate(naive_text).errors] == ["validate.dtype"]  # no offset: not assumed UTC
    assert Schema.from_json(s.to_json()) == s


def test_naive_schema_rejects_aware_and_offset_text():
    s = Schema.infer(_tz_frame(None))
    aware = s.validate(_tz_frame("UTC"))
    assert [f.check for f in aware.errors] == ["validate.dtype"] and "tz_convert(None)" in aware.errors[0].message
    offsets = _tz_frame("UTC").assign(when=lambda d: d.when.astype(str))
    assert [f.check for f in s.validate(offsets).errors] == ["validate.dtype"]


# ---------------------------------------------------------------- lazy, eager, raising
def _six(b):
    b = b.copy()
    b["category"] = b["category"].astype(str)
    b.loc[3, "user_id"] = np.nan
    b.loc[5, "purchase_amount"] = -1.0
    b.loc[7, "category"] = "nope"
    b.loc[9, "page_views"] = 10 ** 6
    b.loc[11] = b.loc[2]
    b.loc[13, "session_duration"] = -5
    return b


def test_lazy_reports_every_failure_eager_the_first():
    b = _six(BASE.head(40))
    lazy = SCHEMA.validate(b)
    assert sorted(e[2][0] for e in errors(lazy)) == [3, 5, 7, 9, 11, 13]
    eager = SCHEMA.validate(b, lazy=False)
    assert len(eager) == 1 and not eager.ok and "stopped at the first failure" in eager.title
    with pytest.raises(DataValidationError) as e: SCHEMA.validate(b, raise_on_error=True)
    assert len(e.value.failures) == 6 and list(e.value.failures.columns[:4]) == ["check", "column", "severity", "n_failing"]
    assert isinstance(e.value, ValueError)
    json.loads(lazy.to_json())                       # the report, evidence and failures table are JSON-able


def test_missing_and_extra_columns():
    rep = SCHEMA.validate(BASE.drop(columns=["page_views"]).assign(ab_variant="A"))
    assert [(f.check, f.severity) for f in rep] == [("validate.missing_column", "error"), ("validate.extra_column", "warning")]
    opt = Schema.infer(BASE, key=KEY, optional=["page_views"])
    assert opt.validate(BASE.drop(columns=["page_views"])).ok


# ---------------------------------------------------------------- brute force: the vectorised checks agree with a loop
def _loop_failures(schema, df):
    "Row by row, in plain Python: the (check, column) of every failing cell of the simple checks."
    out = {}
    for c, col in schema.columns.items():
        for i, v in zip(df.index, df[c]):
            if pd.isna(v): out.setdefault(("validate.nulls", c), []).append(i); continue
            if col.is_id: continue
            if col.categories is not None and v not in col.categories: out.setdefault(("validate.categories", c), []).append(i)
            if col.kind in ("integer", "float") and not (col.min <= float(v) <= col.max): out.setdefault(("validate.range", c), []).append(i)
    return out


def test_brute_force_agrees():
    rng = np.random.default_rng(0)
    b = BASE.sample(300, random_state=0).astype({"category": str, "page_views": float, "user_id": float})
    for col, bad in [("purchase_amount", -3.0), ("page_views", 999.0), ("category", "??"), ("user_id", np.nan),
                     ("session_duration", 10 ** 7), ("page_views", np.nan)]:
        b.loc[rng.choice(b.index, 7, replace=False), col] = bad
    rep = SCHEMA.validate(b, max_examples=10 ** 6)
    got = {}
    for f in rep.errors:
        if f.check == "validate.range": got.setdefault((f.check, f.subject), []).extend(f.evidence["rows"])
        else: got[(f.check, f.subject)] = f.evidence["rows"]
    want = _loop_failures(SCHEMA, b)
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}


# ---------------------------------------------------------------- compatibility
def test_compatibility_rules():
    assert check_compatibility(SCHEMA, SCHEMA).findings == []
    opt = Schema.infer(BASE.assign(v="A"), key=KEY, optional=["v"])
    assert check_compatibility(SCHEMA, opt).ok and SCHEMA.compare(opt).ok
    assert not check_compatibility(SCHEMA, Schema.infer(BASE.assign(v="A"), key=KEY)).ok          # new required column
    assert not check_compatibility(opt, Schema.infer(BASE.assign(v="A"), key=KEY)).ok             # optional -> required
    wide = Schema.infer(BASE.astype({"page_views": float}), key=KEY)
    assert [(f.check, f.severity) for f in check_compatibility(SCHEMA, wide)] == [("validate.compat.kind", "warning")]
    assert [f.check for f in check_compatibility(wide, SCHEMA).errors] == ["validate.compat.kind"]               # narrowing a kind
    nulls = BASE.astype({"purchase_amount": float}); nulls.loc[0, "purchase_amount"] = np.nan
    assert [f.check for f in check_compatibility(SCHEMA, Schema.infer(nulls, key=KEY))] == ["validate.compat.nullable"]


# ---------------------------------------------------------------- Hypothesis: frames drawn from the schema
def _draw_frame(draw, schema, n):
    "A frame of `n` rows whose every value the schema allows, with a unique key and a shuffled, non-default index."
    cols = {}
    for c, col in schema.columns.items():
        if c == "user_id": vals = draw(st.lists(st.integers(0, 10 ** 6), min_size=n, max_size=n, unique=True))
        elif col.is_id: vals = draw(st.lists(st.integers(0, 10 ** 6), min_size=n, max_size=n))
        elif col.categories is not None: vals = draw(st.lists(st.sampled_from(col.categories), min_size=n, max_size=n))
        # inside the range training saw: values in the margin beyond it are warnings (see test_validate_hostile.py)
        elif col.kind == "integer": vals = draw(st.lists(st.integers(int(col.seen_min), int(col.seen_max)), min_size=n, max_size=n))
        elif col.kind == "float":
            vals = draw(st.lists(st.floats(col.seen_min, col.seen_max, allow_nan=False), min_size=n, max_size=n))
        elif col.kind == "datetime":
            lo = pd.Timestamp(col.min)
            vals = [lo + pd.Timedelta(seconds=s) for s in draw(st.lists(st.integers(0, 3 * 10 ** 7), min_size=n, max_size=n))]
        cols[c] = vals
    df = pd.DataFrame(cols)
    df["purchase_date"] = pd.to_datetime(df["purchase_date"]).astype(BASE["purchase_date"].dtype)
    df.index = draw(st.permutations(list(range(100, 100 + 2 * n, 2))))
    rep = draw(st.sampled_from(["str", "object", "category"]))
    return df.astype({"category": rep})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_frame_drawn_from_the_schema_validates(data):
    df = _draw_frame(data.draw, SCHEMA, data.draw(st.integers(1, 25)))
    rep = SCHEMA.validate(df)
    assert rep.ok and not rep.findings, str(rep)


def _plant(df, defect, pos, other):
    "Plant `defect` in the row at position `pos` of `df`; returns the frame and the label of the row to be reported."
    df = df.copy()
    label = df.index[pos]
    if defect == "null":
        col = ["user_id", "product_id", "purchase_amount", "category", "session_duration", "page_views", "purchase_date"][other % 7]
        if col in ("category",): df[col] = df[col].astype(object)
        df.loc[label, col] = None
    elif defect == "below":
        col = ["purchase_amount", "session_duration", "page_views"][other % 3]
        df[col] = df[col].astype(float); df.loc[label, col] = SCHEMA[col].min - 1
    elif defect == "above":
        col = ["purchase_amount", "session_duration", "page_views"][other % 3]
        df[col] = df[col].astype(float); df.loc[label, col] = SCHEMA[col].max + 1
    elif defect == "category":
        df["category"] = df["category"].astype(object); df.loc[label, "category"] = "never-seen"
    elif defect == "early_date":
        df.loc[label, "purchase_date"] = pd.Timestamp(SCHEMA["purchase_date"].min) - pd.Timedelta(days=1)
    elif defect == "bad_date":
        df["purchase_date"] = df["purchase_date"].astype(str); df.loc[label, "purchase_date"] = "2024-02-30"
    elif defect == "not_a_number":
        df["page_views"] = df["page_views"].astype(object); df.loc[label, "page_views"] = "many"
    elif defect == "fraction":
        df["page_views"] = df["page_views"].astype(float); df.loc[label, "page_views"] = 2.5
    elif defect == "duplicate":  # the row at `pos` repeats the key of an earlier row
        src = df.index[other % pos]
        df.loc[label, KEY] = df.loc[src, KEY].to_numpy()
    return df, label


DEFECTS = ["null", "below", "above", "category", "early_date", "bad_date", "not_a_number", "fraction", "duplicate"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(DEFECTS), st.integers(0, 10 ** 6))
def test_any_single_planted_defect_is_reported_once_with_its_row(data, defect, other):
    n = data.draw(st.integers(2, 20))
    df = _draw_frame(data.draw, SCHEMA, n)
    pos = data.draw(st.integers(1, n - 1))
    bad, label = _plant(df, defect, pos, other)
    rep = SCHEMA.validate(bad)
    assert len(rep.errors) == 1, str(rep)
    assert rep.errors[0].evidence["rows"] == [label] and rep.errors[0].evidence["n_failing"] == 1, str(rep)
    eager = SCHEMA.validate(bad, lazy=False)
    assert [f.check for f in eager.errors] == [f.check for f in rep.errors]


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_schema_round_trips_through_json_and_yaml(data):
    df = _draw_frame(data.draw, SCHEMA, data.draw(st.integers(1, 15)))
    tol = data.draw(st.sampled_from([0.0, 0.1, 0.5]))
    s = Schema.infer(df, key=KEY, tolerance=tol)
    assert Schema.from_json(s.to_json()) == s == Schema.from_yaml(s.to_yaml())
    assert s.validate(df).ok


# ---------------------------------------------------------------- nullable columns and keys as read
def test_null_rate_of_a_nullable_column():
    train = pd.DataFrame({"x": [1.0, np.nan] + [2.0] * 18})          # 5 % nulls in training
    s = Schema.infer(train)
    assert s["x"].null_rate == 0.05
    assert s.validate(pd.DataFrame({"x": [np.nan] + [2.0] * 9})).ok       # 10 %: within 5 points
    rep = s.validate(pd.DataFrame({"x": [np.nan] * 3 + [2.0] * 7}))       # 30 %
    assert [f.check for f in rep.errors] == ["validate.null_rate"] and rep.errors[0].evidence["n_failing"] == 3
    assert s.validate(pd.DataFrame({"x": [np.nan] * 3 + [2.0] * 7}), null_slack=0.3).ok


def test_duplicates_are_found_on_values_as_read():
    b = BASE.head(10).assign(purchase_date=BASE.purchase_date.head(10).dt.strftime("%Y-%m-%d %H:%M:%S"))
    b.loc[7, KEY] = [b.loc[2, "user_id"], b.loc[2, "product_id"], b.loc[2, "purchase_date"].replace(" ", "T")]
    assert errors(SCHEMA.validate(b)) == [("validate.duplicates", ", ".join(KEY), [7])]


# ---------------------------------------------------------------- one report vocabulary
def test_reports_are_report_subclasses_complete_when_built():
    from mlparity.core import Report
    from mlparity.validate import CompatibilityReport, ValidationReport
    b = _six(BASE.head(40))
    rep = SCHEMA.validate(b)
    assert type(rep) is ValidationReport and isinstance(rep, Report)
    # column order, each once; the duplicate key names its three columns (user_id is already listed)
    assert rep.failing == ["user_id", "purchase_amount", "category", "session_duration", "page_views", "product_id", "purchase_date"]
    assert rep.failures is rep.tables["failures"] and all(f.check.startswith("validate.") for f in rep)
    comp = check_compatibility(SCHEMA, Schema.infer(BASE.drop(columns="page_views"), key=KEY))
    assert type(comp) is CompatibilityReport and comp.failing == ["page_views"]
    assert all(f.check.startswith("validate.compat.") for f in comp) and comp.changes is comp.tables["changes"]


# ---------------------------------------------------------------- inference's fast paths give the generic path's schema
def _fields(schema):
    "Every field of every column but the dtype name (the storage is what differs between the two paths)."
    return {c: {k: v for k, v in cs.to_dict().items() if k != "dtype"} for c, cs in schema.columns.items()}

def _storage_pairs(n, seed):
    "A frame in the storage `Schema.infer` reads fast, and the same values in storage it reads through pandas."
    rng = np.random.default_rng(seed)
    text = np.where(rng.random(n) < 0.05, None, rng.choice(["aa", "bbb", "", "ééé", "x" * 30], n)).astype(object)
    when = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"))
    fast = pd.DataFrame({
        "f": rng.normal(0, 1, n), "f_nan": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)),
        "f_all_nan": np.full(n, np.nan), "flag": rng.random(n) < 0.5, "always": np.ones(n, bool),
        "t": pd.array(text, dtype="str"), "t_many": pd.array([f"v{i}" for i in rng.integers(0, 5 * n, n)], dtype="str"),
        "t_arrow": pd.array(text, dtype=pd.ArrowDtype(__import__("pyarrow").large_string())),
        "d": when, "d_nat": when.where(rng.random(n) < 0.9), "d_tz": when.dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"),
        "d_us": when.astype("datetime64[us]")})
    slow = fast.assign(f=pd.array(fast.f, dtype="Float64"), f_nan=pd.array(fast.f_nan, dtype="Float64"),
                       f_all_nan=pd.array(fast.f_all_nan, dtype="Float64"), flag=fast.flag.astype(object),
                       always=fast.always.astype(object), t=fast.t.astype(object), t_many=fast.t_many.astype(object),
                       t_arrow=fast.t_arrow.astype(object))
    return fast, slow

@pytest.mark.parametrize("n,seed", [(40, 0), (1_000, 1), (20_000, 2)])
@pytest.mark.parametrize("max_categories", [0, 3, 50])
def test_infer_fast_paths_match_the_generic_path(n, seed, max_categories):
    "Arrow text (null count and categories from pyarrow), numpy floats (NaN looked for only if there), numpy bools and datetimes (ticks) infer what pandas' generic reductions infer."
    fast, slow = _storage_pairs(n, seed)
    got, want = _fields(Schema.infer(fast, max_categories=max_categories)), _fields(Schema.infer(slow, max_categories=max_categories))
    assert got == want
    assert got["f_nan"]["null_rate"] > 0 and got["d_nat"]["null_rate"] > 0 and got["f_all_nan"]["null_rate"] == 1.0
    if max_categories == 50 and n >= 1_000:
        assert got["t"]["categories"] == sorted(["aa", "bbb", "", "ééé", "x" * 30]) and got["t_many"]["categories"] is None


# ---------------------------------------------------------------- columns read side by side, from 2**16 rows
def test_infer_on_threads_matches_one_thread(monkeypatch):
    "From 2**16 rows the text columns are inferred on a pool of threads: the same schema as on one thread, and the same first error."
    import concurrent.futures, mlparity._frames as F   # the threads live on the ground floor
    made = []
    class Spy(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, *a, **k): made.append(a); super().__init__(*a, **k)
    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", Spy)
    monkeypatch.setattr(F, "_POOLS", {})
    fast, _ = _storage_pairs(140_000, 3)
    monkeypatch.setattr(F.os, "cpu_count", lambda: 4)
    threads = Schema.infer(fast)
    assert made == [(4,)] and isinstance(F._POOLS[4], Spy)
    Schema.infer(fast)
    assert made == [(4,)]                            # the pool is kept for the next frame
    monkeypatch.setattr(F.os, "cpu_count", lambda: 1)
    one = Schema.infer(fast)
    assert made == [(4,)] and threads.to_dict() == one.to_dict() and list(threads.columns) == list(fast.columns)
    mixed = fast.assign(m1=pd.Series([1, "a"] * 70_000, dtype=object), m2=pd.Series(["b", 2.0] * 70_000, dtype=object))
    for cores in (4, 1):
        monkeypatch.setattr(F.os, "cpu_count", lambda: cores)
        with pytest.raises(TypeError, match="column 'm1' mixes kinds"): Schema.infer(mixed)
    monkeypatch.setattr(F, "_POOLS", {})
    monkeypatch.setattr(F.os, "cpu_count", lambda: 4)
    Schema.infer(fast.head(65_535))                  # below 2**16 rows: one thread, no pool made
    assert F._POOLS == {} and made == [(4,)]
    Schema.infer(fast.select_dtypes("number"))       # nothing to hash: one thread, no pool made
    assert F._POOLS == {} and made == [(4,)]


def test_lazy_validation_on_threads_matches_one_thread(monkeypatch):
    "Lazy validation of a long frame checks its columns side by side: the same findings, in the same order, as on one thread."
    import mlparity._frames as F
    fast, _ = _storage_pairs(140_000, 4)
    schema = Schema.infer(fast.sample(frac=0.5, random_state=0), max_categories=50)
    batch = fast.copy()
    batch.loc[batch.index[::997], "f"] = 1e9                               # out of range
    batch.loc[batch.index[::1009], "t"] = "never seen"                    # an unseen category
    batch.loc[batch.index[::1013], "d"] = pd.Timestamp("1970-01-01")      # before training
    reports = {}
    for cores in (4, 1):
        monkeypatch.setattr(F.os, "cpu_count", lambda: cores)
        reports[cores] = schema.validate(batch, max_examples=3)
    on_threads, on_one = reports[4], reports[1]
    assert [(f.check, f.subject, f.severity, f.message, f.evidence) for f in on_threads] == \
           [(f.check, f.subject, f.severity, f.message, f.evidence) for f in on_one]
    assert {("validate.range", "f"), ("validate.categories", "t"), ("validate.range", "d")} <= {(f.check, f.subject) for f in on_one.errors}
    assert on_threads.failures.equals(on_one.failures)



def test_the_validation_benchmark_can_hold_mlparity_to_one_thread(monkeypatch):
    """`benchmarks/bench_validate.py` times mlparity on one thread beside pandera: its `one_thread()` must reach the
    threads where they live (it broke when they moved to `mlparity._frames` and nothing ran it without pandera)."""
    import importlib.util, threading, mlparity._frames as F
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("bench_validate", Path(__file__).parents[1] / "benchmarks" / "bench_validate.py")
    bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
    monkeypatch.setattr(F.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(F, "_POOLS", {})                     # this test's threads, not left to the others
    where = lambda c: threading.current_thread().name
    with bench.one_thread():
        assert F.os.cpu_count() == 1 and set(F._each_column(where, [1, 2, 3], 1 << 20)) == {threading.current_thread().name}
    assert F.os.cpu_count() == 4 and any(n.startswith("mlparity-columns") for n in F._each_column(where, [1, 2, 3], 1 << 20))

def test_a_forked_child_makes_its_own_pool():
    "A process forked after the pool was made (multiprocessing's 'fork' start method) has none of its threads: it makes its own."
    import multiprocessing as mp, mlparity._frames as F
    if "fork" not in mp.get_all_start_methods() or (os.cpu_count() or 1) < 2: pytest.skip("needs fork and two cores")
    fast, _ = _storage_pairs(140_000, 5)
    want = Schema.infer(fast).to_dict()
    assert F._POOLS
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_infer_in_child, (fast,)).get(timeout=60)
    assert got == (True, want)

def _infer_in_child(df):
    import mlparity._frames as F
    fresh = not F._POOLS
    return fresh, Schema.infer(df).to_dict()
