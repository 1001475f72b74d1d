"""Hypothesis fuzz of the schema loaders (issue 13): corrupted JSON and YAML give a valid `Schema` or a `SchemaError`
that names the source, never an exception from json, yaml, pandas or numpy, and always within a bounded time. A
schema that loads must also validate a frame without a raw exception."""
import json, time

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from mlparity.datasets import make_novatech
from mlparity.validate import Schema, SchemaError, ValidationReport

KEY = ["user_id", "product_id", "purchase_date"]
BASE = make_novatech(n_users=200, n_products=30, days=90, seed=2).interactions
SCHEMA = Schema.infer(BASE, key=KEY, name="interactions")
TZ_FRAME = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC"), "flag": [True, False] * 3,
                         "tag": list("abcabc"), "x": [0.5, 1.5, None, 2.0, 3.0, 4.0]})
SCHEMAS = [(SCHEMA, BASE), (Schema.infer(TZ_FRAME, name="tz"), TZ_FRAME)]
SECONDS = 2.0   # the bound: a load plus a validation of 1,000 rows never takes longer

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def load_and_use(load, text, frame):
    "Load `text`; a `SchemaError` naming the source is fine, and a schema that loads must validate `frame`."
    t0 = time.process_time()
    try:
        s = load(text, source="fuzzed.schema")
    except SchemaError as e:
        assert str(e).startswith("fuzzed.schema: "), str(e)
        assert time.process_time() - t0 < SECONDS
        return None
    assert isinstance(s, Schema)
    assert (s.to_dict() == Schema.from_dict(s.to_dict()).to_dict())          # what loads, round-trips
    try:
        rep = s.validate(frame.head(1000))
        assert isinstance(rep, ValidationReport)
        json.loads(rep.to_json())
    except ValueError as e:                                                # the one refusal validate makes of a schema
        assert "is this schema for a different table?" in str(e), repr(e)
    assert time.process_time() - t0 < SECONDS
    return s


# ---------------------------------------------------------------- corruptions of the text
def corrupt(draw, text):
    "`text` with one Hypothesis-chosen corruption: truncated, a slice deleted, text inserted, a character replaced."
    n = len(text)
    how = draw(st.sampled_from(["truncate", "delete", "insert", "replace", "swap_lines"]))
    i = draw(st.integers(0, n))
    if how == "truncate": return text[:i]
    if how == "delete": return text[:i] + text[min(n, i + draw(st.integers(1, 40))):]
    if how == "swap_lines":
        lines = text.splitlines(keepends=True)
        a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[a], lines[b] = lines[b], lines[a]
        return "".join(lines)
    junk = draw(st.one_of(st.text(max_size=12), st.sampled_from(['"', "'", "{", "}", "[", "]", ",", ":", "\n", "  ", "- ", "null",
                                                                  "true", "-1", "1e999", "NaN", "&a", "*a", "!!binary", "\t", "#"])))
    return text[:i] + junk + text[i + (how == "replace"):]


@SETTINGS
@given(st.data(), st.sampled_from(["json", "yaml"]), st.sampled_from(range(len(SCHEMAS))))
def test_corrupted_text_loads_or_is_a_named_error(data, fmt, which):
    schema, frame = SCHEMAS[which]
    text = schema.to_json() if fmt == "json" else schema.to_yaml()
    bad = corrupt(data.draw, text)
    load_and_use(Schema.from_json if fmt == "json" else Schema.from_yaml, bad, frame)


# ---------------------------------------------------------------- corruptions of the structure: any value in any field
JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-10 ** 20, 10 ** 20) | st.floats() | st.text(max_size=20)
                       | st.sampled_from(["2024-01-01", "2024-01-01T00:00:00+00:00", "UTC", "integer", "float", "datetime", "string", "bool"]),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                       max_leaves=12)
TOP = ["mlparity_schema", "name", "n_rows", "key", "columns", "extra"]
COLUMN = ["name", "kind", "dtype", "required", "null_rate", "min", "max", "categories", "tz", "is_id", "seen_min", "seen_max", "extra"]


@SETTINGS
@given(st.data(), st.sampled_from(["dict", "json", "yaml"]), st.sampled_from(range(len(SCHEMAS))), st.integers(1, 3))
def test_any_value_in_any_field_loads_or_is_a_named_error(data, fmt, which, n_edits):
    schema, frame = SCHEMAS[which]
    d = schema.to_dict()
    for _ in range(n_edits):
        if data.draw(st.booleans()):
            target, fields = d, TOP
        else:
            cols = d.get("columns")
            if not isinstance(cols, list) or not cols or not isinstance(cols[0], dict): target, fields = d, TOP
            else: target, fields = cols[data.draw(st.integers(0, len(cols) - 1))], COLUMN
            if not isinstance(target, dict): target, fields = d, TOP
        f = data.draw(st.sampled_from(fields))
        if data.draw(st.integers(0, 4)) == 0: target.pop(f, None)
        else: target[f] = data.draw(JSONISH)
    if fmt == "dict":
        load_and_use(lambda x, source: Schema.from_dict(x, source=source), d, frame); return
    try:
        text = json.dumps(d) if fmt == "json" else yaml.safe_dump(d)
    except (ValueError, TypeError, yaml.YAMLError):
        return                                                  # not writable as text (e.g. a float key in YAML): nothing to load
    load_and_use(Schema.from_json if fmt == "json" else Schema.from_yaml, text, frame)


def test_the_unedited_schemas_load_and_validate():
    for schema, frame in SCHEMAS:
        for load, text in ((Schema.from_json, schema.to_json()), (Schema.from_yaml, schema.to_yaml())):
            s = load_and_use(load, text, frame)
            assert s == schema and s.validate(frame).ok


def test_a_date_bound_python_reads_but_pandas_does_not_is_a_named_error():
    """Found by the fuzz above: Python's `fromisoformat` reads '2025-01-05T00:00:00:+00:00' (a stray colon), pandas does
    not, and the min/max comparison then raised pandas' DateParseError. Both readers must agree, or it is a SchemaError."""
    d = Schema.infer(TZ_FRAME, name="tz").to_dict()
    col = next(c for c in d["columns"] if c["name"] == "when")
    for bad in ("2025-01-05T00:00:00:+00:00", "2024-06-30T12:00:00:+02:00"):
        for field in ("min", "max"):
            edited = json.loads(json.dumps(d))
            next(c for c in edited["columns"] if c["name"] == "when")[field] = bad
            for text, load in ((json.dumps(edited), Schema.from_json), (yaml.safe_dump(edited), Schema.from_yaml)):
                try: load(text, source="hand.schema")
                except SchemaError as e:
                    assert str(e).startswith("hand.schema: column 'when', field ") and bad in str(e), str(e)
                else: raise AssertionError(f"{bad!r} in {field} loaded")
    assert col["min"] and Schema.from_dict(d) == Schema.infer(TZ_FRAME, name="tz")   # the good bounds still load
