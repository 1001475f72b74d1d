"""Non-lesson tests of `mlparity.configs`: bad inputs, the pipeline rules one key at a time, property tests."""
import json, re
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from mlparity.configs import (flatten_config, yaml_comments, load_config, find_magic_numbers, compare_configs,
                              parse_duration, check_pipeline_config, MAGIC_EXEMPT)

SEED_PIPELINE = """cache:
  feature_ttl: 3600  # 1 hour - BUG #3: Mismatch with training window

training:
  batch_window: 21600  # 6 hours - BUG #3: Different from serving
  use_future_features: true  # BUG #2: Causes data leakage

serving:
  aggregation_window: 3600  # 1 hour - BUG #3: Different from training
  download_timeout: 5  # seconds - BUG #4: Too short for 30s upload

registry:
  async_upload: true  # BUG #4: Fire-and-forget S3 uploads
  wait_for_upload: false  # BUG #4: Don't wait for S3

drift:
  num_bins: 20  # BUG #5: Fixed binning loses statistical power

features:
  binning_method_offline: pandas_cut  # BUG #1: Right-inclusive
  binning_method_online: bisect_left  # BUG #1: Left-inclusive
"""

CONSISTENT = {
    "cache": {"feature_ttl": 3600},
    "training": {"batch_window": 21600, "use_future_features": False},
    "serving": {"aggregation_window": 21600, "download_timeout": 60},
    "registry": {"async_upload": True, "wait_for_upload": True, "upload_time": 30},
    "drift": {"test": "ks_raw"},
    "features": {"binning_method": "pandas_cut"},
}


def _set(cfg, dotted, value):
    cfg = json.loads(json.dumps(cfg))
    *path, leaf = dotted.split(".")
    d = cfg
    for p in path: d = d.setdefault(p, {})
    if value is _DELETE: d.pop(leaf)
    else: d[leaf] = value
    return cfg

_DELETE = object()


# ---------------------------------------------------------------- the seed pipeline and a consistent one
def test_seed_pipeline_flags_every_bug_key(tmp_path):
    p = tmp_path / "pipeline.yaml"; p.write_text(SEED_PIPELINE)
    bug_keys = {k for k, (_, c) in yaml_comments(SEED_PIPELINE).items() if c and "BUG" in c}
    assert len(bug_keys) == 10
    r = check_pipeline_config(p)
    assert {f.evidence["key"] for f in r} == bug_keys
    assert not r.ok and len(r.errors) == 9


def test_seed_pipeline_as_dict_gives_the_same_findings_plus_magic_numbers(tmp_path):
    r = check_pipeline_config(yaml.safe_load(SEED_PIPELINE))
    checks = [f.check for f in r if f.check != "configs.magic_number"]
    assert len(checks) == 10
    assert {f.evidence["value"] for f in r if f.check == "configs.magic_number"} == {3600, 21600, 5, 20}


def test_consistent_pipeline_has_no_finding():
    assert len(check_pipeline_config(CONSISTENT, magic_numbers=False)) == 0


# One change at a time to the consistent config, and the rule that must fire (check, severity).
ONE_CHANGE = [
    ("features.binning_method_offline", "pandas_cut", None),             # split keys that agree: fine
    ("serving.aggregation_window", 3600, [("configs.window", "error"), ("configs.ttl", "error")]),
    ("serving.aggregation_window", "6h", None),                          # same window, other spelling
    ("training.use_future_features", True, ("configs.flag", "error")),
    ("training.filter_by_time", False, ("configs.flag", "error")),
    ("registry.wait_for_upload", False, ("configs.flag", "error")),
    ("registry.wait_for_upload", _DELETE, ("configs.flag", "error")),
    ("registry.upload_time", 120, ("configs.timeout", "error")),
    ("cache.feature_ttl", 86400, ("configs.ttl", "warning")),
    ("drift.num_bins", 20, ("configs.drift_bins", "warning")),
]

@pytest.mark.parametrize("key,value,expected", ONE_CHANGE)
def test_one_change_fires_one_rule(key, value, expected):
    cfg = _set(CONSISTENT, key, value)
    if key == "features.binning_method_offline":
        cfg = _set(cfg, "features.binning_method_online", "pandas_cut")
    got = {(f.check, f.severity) for f in check_pipeline_config(cfg, magic_numbers=False)}
    want = set(expected) if isinstance(expected, list) else {expected} if expected else set()
    assert got == want, got


def test_split_keys_with_different_values_flag_both_keys():
    cfg = {"features": {"binning_method_offline": "pandas_cut", "binning_method_online": "bisect_right"}}
    r = check_pipeline_config(cfg)
    assert {f.evidence["key"] for f in r} == {"features.binning_method_offline", "features.binning_method_online"}


def test_ttl_shorter_than_window_is_fine_when_serving_keeps_the_window():
    assert check_pipeline_config({"training": {"batch_window": "6h"}, "cache": {"feature_ttl": "1h"},
                                  "serving": {"window": "6h"}}).ok
    r = check_pipeline_config({"training": {"batch_window": "6h"}, "cache": {"feature_ttl": "1h"}})
    assert [f.check for f in r.errors] == ["configs.ttl"]


def test_key_units_are_read_from_key_names():
    r = check_pipeline_config({"training": {"window_days": 1}, "serving": {"window_hours": 24}}, magic_numbers=False)
    assert len(r) == 0
    r = check_pipeline_config({"training": {"window_days": 1}, "serving": {"window_hours": 12}}, magic_numbers=False)
    assert {f.check for f in r} == {"configs.window"}


BAD_PIPELINES = [
    ({"training": {"batch_window": "six hours"}}, ValueError, "window `training.batch_window` in config"),
    ({"training": {"batch_window": "6 fortnights"}}, ValueError, "unknown unit 'fortnights'"),
    ({"training": {"batch_window": -3600}}, ValueError, "must be positive"),
    ({"training": {"batch_window": 0}}, ValueError, "must be positive"),
    ({"training": {"batch_window": [6]}}, TypeError, "`training.batch_window` in config must be one duration"),
    ({"cache": {"feature_ttl": -1}, "training": {"batch_window": 60}}, ValueError, "TTL `cache.feature_ttl`"),
    ({"training": {"use_future_features": "yes"}}, TypeError, "must be true or false"),
    ({"registry": {"async_upload": 1}}, TypeError, "must be true or false"),
    ({"serving": {"download_timeout": "soon"}}, ValueError, "not a duration"),
    (["not", "a", "mapping"], TypeError, "a config must be a dict or the path"),
]

@pytest.mark.parametrize("cfg,exc,msg", BAD_PIPELINES)
def test_bad_pipeline_values_are_clear_errors(cfg, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)): check_pipeline_config(cfg)


# ---------------------------------------------------------------- loading
def test_bad_files_name_the_file(tmp_path):
    cases = {"broken.yaml": ("a: [1\n", ValueError, "invalid YAML in config file"),
             "list.yaml": ("- 1\n- 2\n", ValueError, "holds a list, not a mapping"),
             "empty.yaml": ("# nothing\n", ValueError, "is empty"),
             "scalar.yaml": ("42\n", ValueError, "holds a int"),
             "badrationale.yaml": ("a: 3\nrationale: [a]\n", ValueError, "`rationale` in badrationale.yaml")}
    for name, (text, exc, msg) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(exc, match=re.escape(msg)) as e: load_config(tmp_path / name)
        assert name in str(e.value)
    with pytest.raises(FileNotFoundError, match="missing.yaml' not found"): load_config(tmp_path / "missing.yaml")
    with pytest.raises(FileNotFoundError, match="not found"): compare_configs({"a": 1}, str(tmp_path / "nope.yaml"))
    with pytest.raises(FileNotFoundError, match="not found"): load_config(tmp_path)   # a directory is not a file


def test_yaml_is_loaded_safely(tmp_path):
    p = tmp_path / "evil.yaml"; p.write_text("a: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ValueError, match="invalid YAML"): load_config(p)


def test_rationale_mapping_and_comments(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("serving:\n  top_k: 10\n  threshold: 0.237  # min score\n  k2: 7\n"
                 "rationale:\n  serving.top_k: standardised in week 5\n  serving:\n    k2: nested form\n")
    flat, why, name = load_config(p)
    assert "rationale.serving.top_k" not in flat and set(flat) == {"serving.top_k", "serving.threshold", "serving.k2"}
    assert why["serving.top_k"] == (2, "standardised in week 5") and why["serving.threshold"] == (3, "min score")
    assert why["serving.k2"] == (4, "nested form")
    assert len(find_magic_numbers(p)) == 0


def test_comment_scan_handles_block_scalars_quotes_and_lists():
    text = ('a:\n  b: |\n    x: 5  # not a key\n  c: "v # w"  # real\n  d:\n  - 3  # three\n  - e: 4  # four\n'
            '    f: 5\n  "quoted key": 6  # six\n')
    c = yaml_comments(text)
    assert c["a.c"] == (4, "real") and c["a.d[0]"] == (6, "three") and c["a.d[1].e"] == (7, "four")
    assert c["a.d[1].f"] == (8, None) and c["a.quoted key"] == (9, "six") and "a.b.x" not in c
    assert set(flatten_config(yaml.safe_load(text))) <= set(c)


scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3)),
                    st.booleans(), st.sampled_from(["cosine", "brute", "pandas_cut", "a b", "x#y"]))
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
configs = st.recursive(st.dictionaries(names, scalars, min_size=1, max_size=4),
                       lambda inner: st.dictionaries(names, st.one_of(scalars, inner), min_size=1, max_size=4),
                       max_leaves=12)

@settings(max_examples=60, deadline=None)
@given(configs)
def test_comment_scan_finds_every_key_safe_load_finds(cfg):
    text = yaml.safe_dump(cfg, sort_keys=False, default_flow_style=False)
    commented = "\n".join(l + f"  # line {i}" if not l.rstrip().endswith(":") else l
                          for i, l in enumerate(text.splitlines(), 1)) + "\n"
    assert yaml.safe_load(commented) == cfg
    flat = flatten_config(cfg)
    c = yaml_comments(commented)
    assert set(flat) <= set(c)
    for k in flat: assert c[k][1] == f"line {c[k][0]}"


# ---------------------------------------------------------------- comparing
@settings(max_examples=60, deadline=None)
@given(configs, st.data())
def test_changing_one_value_gives_exactly_one_error_on_that_key(cfg, data):
    assert compare_configs(cfg, cfg, magic_numbers=False).ok
    flat = flatten_config(cfg)
    key = data.draw(st.sampled_from(sorted(flat)))
    old = flat[key]
    new = "changed" if not isinstance(old, str) else old + "!"
    *path, leaf = key.split(".")
    other = json.loads(json.dumps(cfg))
    d = other
    for p in path: d = d[p]
    d[leaf] = new
    r = compare_configs(cfg, other, magic_numbers=False)
    assert [(f.subject, f.severity) for f in r] == [(key, "error")]


def test_one_sided_keys_and_types():
    r = compare_configs({"a": 1, "b": 2.0, "c": "x"}, {"b": 2, "c": None, "d": True}, magic_numbers=False)
    got = {(f.check, f.subject, f.severity) for f in r}
    assert got == {("configs.one_sided", "a", "warning"), ("configs.one_sided", "d", "warning"),
                   ("configs.type", "c", "error")}
    r = compare_configs({"a": 1}, {}, one_sided="error", magic_numbers=False)
    assert not r.ok
    assert len(compare_configs({"a": 1}, {}, one_sided=None, magic_numbers=False)) == 0
    assert compare_configs({"top_k": 10, "m": {"x": 1}}, {"top_k": 12, "m": {"x": 1}}, ignore=("top_k",)).ok
    assert compare_configs({"m": {"x": 3}}, {"m": {"x": 4}}, ignore=("m",), magic_numbers=False).ok


def test_magic_number_exemptions():
    r = find_magic_numbers({"a": 0, "b": 1, "c": True, "d": False, "e": 0.0, "f": 2, "g": "12", "h": None})
    assert [f.evidence["key"] for f in r] == ["f"]
    assert MAGIC_EXEMPT == (0, 1)
    assert len(find_magic_numbers({"f": 2}, exempt=(2,))) == 0
    assert len(find_magic_numbers({"f": 2}, {"f": "the two sides"})) == 0
    assert all(f.severity == "warning" and f.category == "configuration" for f in find_magic_numbers({"x": 47}))


def test_seed_top_k_mismatch_is_the_one_error():
    train = {"model": {"n_neighbors": 47}, "serving": {"top_k": 10, "similarity_threshold": 0.237}}
    serve = {"serving": {"top_k": 12, "similarity_threshold": 0.237}}
    r = compare_configs(train, serve)
    assert [(f.check, f.subject) for f in r.errors] == [("configs.mismatch", "serving.top_k")]
    assert sorted(f.evidence["value"] for f in r if f.check == "configs.magic_number") == [0.237, 0.237, 10, 12, 47]
    json.loads(r.to_json())


# ---------------------------------------------------------------- durations
@pytest.mark.parametrize("value,unit,seconds", [
    (3600, "s", 3600), ("3600", "s", 3600), ("1h", "s", 3600), ("60 min", "s", 3600), ("1.5h", "s", 5400),
    (2, "h", 7200), ("90 days", "s", 90 * 86400), ("250ms", "s", 0.25), ("1w", "s", 604800), (0.5, "d", 43200),
])
def test_parse_duration(value, unit, seconds):
    assert parse_duration(value, unit) == pytest.approx(seconds)


@pytest.mark.parametrize("value,unit,exc,msg", [
    ("6x", "s", ValueError, "unknown unit 'x'"), (6, "parsecs", ValueError, "unknown unit 'parsecs'"),
    (-1, "s", ValueError, "must be positive"), (0, "s", ValueError, "must be positive"),
    (float("nan"), "s", ValueError, "must be finite"), (float("inf"), "s", ValueError, "must be finite"),
    ("", "s", ValueError, "is not a duration"), (None, "s", TypeError, "must be a number"),
    (True, "s", TypeError, "must be a number"), ([1], "s", TypeError, "got list"),
])
def test_parse_duration_rejects(value, unit, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)): parse_duration(value, unit)
    assert parse_duration(0, allow_zero=True) == 0
