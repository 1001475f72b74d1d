"""Fault tests for `mlparity.registry`: publishers killed at every step, concurrent publishers, tampered artifacts.

The kill tests use the documented test hook: the environment variable `MLPARITY_REGISTRY_FAULT` names a step of
the publish path (`before_upload`, `during_upload`, `after_upload`, `during_commit`) at which the process ends
abruptly, with `os._exit(70)` or, with a `:kill` suffix, SIGKILL.
"""
import hashlib, json, multiprocessing as mp, os, signal, sqlite3, struct, time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import NearestNeighbors
from sklearn.tree import DecisionTreeClassifier

from mlparity.registry import (FAULT_ENV, FAULT_POINTS, ArtifactFormatError, IntegrityError, LocalObjectStore,
                               ModelRegistry, MetadataStore, ObjectStore, SQLiteMetadataStore, ab_report,
                               check_served_versions, from_artifact, to_artifact)

FORK = mp.get_context("fork")  # children inherit the imports: a trial costs milliseconds, not a Python start-up


def ridge(i):
    "A small fitted model whose artifact is different for every `i`."
    X = np.arange(12.0).reshape(4, 3) + i
    return Ridge(alpha=1.0 + i).fit(X, [1.0, 2.0, 3.0, 4.0 + i])


def assert_consistent(path):
    "Every visible version loads, its hash verifies, and every object file is named after its own hash."
    reg = ModelRegistry(path)
    for name in reg.meta.names():
        vs = reg.versions(name)
        assert vs == list(range(1, len(vs) + 1)), f"versions of {name!r} are not 1..n: {vs}"
        for v in vs:
            model, got = reg.load(name, v)
            assert got == v
    for f in (Path(path) / "objects").rglob("*"):
        if f.is_file() and not f.name.startswith(".tmp-"):
            assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name, f"{f} holds bytes that are not its name's hash"
    return reg


def _publish_with_fault(path, step, i):
    os.environ[FAULT_ENV] = step
    ModelRegistry(path).publish("m", ridge(i), {"trial": i})
    os._exit(0)  # reached only if the hook did not fire


# --- a publisher killed at each step ------------------------------------------------------------------------------

@pytest.mark.parametrize("step", FAULT_POINTS)
@pytest.mark.parametrize("how", ["exit", "kill"])
def test_publisher_killed_at_step_leaves_no_visible_version(tmp_path, step, how):
    reg = ModelRegistry(tmp_path)
    reg.publish("m", ridge(-1))
    expected_code = -signal.SIGKILL if how == "kill" else 70
    for trial in range(6):
        p = FORK.Process(target=_publish_with_fault, args=(tmp_path, f"{step}:{how}" if how == "kill" else step, trial))
        p.start(); p.join(30)
        assert p.exitcode == expected_code, f"trial {trial}: the child exited with {p.exitcode}, the hook did not fire"
        # nothing the dead publisher started is visible ...
        assert reg.versions("m") == list(range(1, trial + 2)), f"trial {trial} at {step}: {reg.versions('m')}"
        assert_consistent(tmp_path)
        # ... and the registry is still usable: the next publish succeeds and gets the next number
        assert reg.publish("m", ridge(trial), {"trial": trial}) == trial + 2
        model, v = reg.load("m")
        assert v == trial + 2 and np.allclose(model.coef_, ridge(trial).coef_)


def test_kill_during_upload_of_existing_content_does_not_hurt_it(tmp_path):
    "Republishing content that is already stored skips the upload (content addressing); a crash then changes nothing."
    reg = ModelRegistry(tmp_path)
    reg.publish("m", ridge(0))
    for step in FAULT_POINTS:
        p = FORK.Process(target=_publish_with_fault, args=(tmp_path, step, 0)); p.start(); p.join(30)
        assert p.exitcode in (0, 70)
    assert_consistent(tmp_path)
    assert reg.load("m", 1)[1] == 1


# --- several processes publishing at once -----------------------------------------------------------------------

class _SlowLocalStore(LocalObjectStore):
    "Uploads that take a little while, so that a reader polling during a publish has a window to look into."
    def put(self, key, data):
        time.sleep(0.01); super().put(key, data)


def _publish_many(path, proc, n, barrier):
    barrier.wait()
    # every process also creates the schema: the first-use race is tested too
    reg = ModelRegistry(path, store=_SlowLocalStore(Path(path) / "objects"))
    for i in range(n):
        reg.publish("m", ridge(100 * proc + i), {"proc": proc, "i": i})
    os._exit(0)


def _read_while_publishing(path, barrier, stop, report):
    "A server polling `latest` during the publishes: every version it sees must load and verify."
    barrier.wait()
    reg, seen, problem = ModelRegistry(path), 0, ""
    while not stop.is_set() and not problem:
        try: _, v = reg.load("m")
        except KeyError: continue            # no version yet
        except Exception as e: problem = repr(e)
        else:
            if v < seen: problem = f"latest went back from {seen} to {v}"
            seen = v
    Path(report).write_text(problem or f"ok, last saw version {seen}")
    os._exit(1 if problem else 0)


def test_concurrent_publishers_get_unique_versions_and_none_is_lost(tmp_path):
    procs, n = 4, 8
    barrier, stop, report = FORK.Barrier(procs + 1), FORK.Event(), tmp_path / "reader.txt"
    reader = FORK.Process(target=_read_while_publishing, args=(tmp_path / "reg", barrier, stop, report))
    ps = [FORK.Process(target=_publish_many, args=(tmp_path / "reg", k, n, barrier)) for k in range(procs)]
    for p in [reader, *ps]: p.start()
    for p in ps: p.join(60)
    stop.set(); reader.join(30)
    assert [p.exitcode for p in ps] == [0] * procs
    assert reader.exitcode == 0, f"a reader saw a version it could not load: {report.read_text()}"
    reg = assert_consistent(tmp_path / "reg")
    assert reg.versions("m") == list(range(1, procs * n + 1))
    published = sorted((r["metadata"]["proc"], r["metadata"]["i"]) for r in (reg.meta.get("m", v) for v in reg.versions("m")))
    assert published == [(k, i) for k in range(procs) for i in range(n)]
    for v in reg.versions("m"):  # each version holds the model its metadata says it does
        meta = reg.meta.get("m", v)["metadata"]
        model, _ = reg.load("m", v)
        assert np.allclose(model.coef_, ridge(100 * meta["proc"] + meta["i"]).coef_)


def test_sqlite_is_in_wal_mode_and_versions_are_unique(tmp_path):
    ModelRegistry(tmp_path)
    con = sqlite3.connect(tmp_path / "registry.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.execute("INSERT INTO versions VALUES ('m', 1, 'x', 'k', 't', '{}')")
    with pytest.raises(sqlite3.IntegrityError): con.execute("INSERT INTO versions VALUES ('m', 1, 'y', 'k', 't', '{}')")


# --- tampered, truncated, missing artifacts ----------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["flip_first", "flip_last", "truncate", "empty", "append", "swap"])
def test_damaged_artifact_is_refused_with_both_hashes(tmp_path, damage):
    reg = ModelRegistry(tmp_path)
    reg.publish("m", ridge(0)); reg.publish("m", ridge(1))
    rec, other = reg.meta.get("m", 1), reg.meta.get("m", 2)
    path = tmp_path / "objects" / rec["key"]
    good = path.read_bytes()
    bad = {"flip_first": bytes([good[0] ^ 1]) + good[1:], "flip_last": good[:-1] + bytes([good[-1] ^ 0x80]),
           "truncate": good[: len(good) // 3], "empty": b"", "append": good + b"\0",
           "swap": (tmp_path / "objects" / other["key"]).read_bytes()}[damage]
    path.write_bytes(bad)
    with pytest.raises(IntegrityError) as e: reg.load("m", 1)
    msg = str(e.value)
    assert "version 1 of 'm'" in msg and rec["sha256"] in msg and hashlib.sha256(bad).hexdigest() in msg
    assert reg.load("m", 2)[1] == 2  # the other version is unaffected
    # publishing the same model again repairs the damaged object (the existing bytes fail verification)
    assert reg.publish("m", ridge(0)) == 3 and reg.load("m", 1)[1] == 1


def test_missing_artifact_is_refused(tmp_path):
    reg = ModelRegistry(tmp_path)
    reg.publish("m", ridge(0))
    (tmp_path / "objects" / reg.meta.get("m", 1)["key"]).unlink()
    with pytest.raises(IntegrityError, match="version 1 of 'm': artifact .* is missing"): reg.load("m")


class _LyingStore(LocalObjectStore):
    "A store whose reads come back corrupted, as a broken network or disk would return them."
    def get(self, key): return super().get(key)[:-1]


def test_upload_that_does_not_verify_commits_nothing(tmp_path):
    reg = ModelRegistry(tmp_path, store=_LyingStore(tmp_path / "objects"))
    with pytest.raises(IntegrityError, match="did not verify"): reg.publish("m", ridge(0))
    assert reg.versions("m") == []


# --- the artifact format: no pickle, hostile bytes refused ---------------------------------------------------------

def _fitted_models():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)); y = X @ [1.0, -1.0, 0.5] > 0
    return [LogisticRegression().fit(X, y), LogisticRegression().fit(X, np.where(y, "buy", "skip")),
            LinearRegression().fit(X, X[:, 0]), Ridge(alpha=3.0).fit(pd.DataFrame(X, columns=list("abc")), X[:, 1]),
            NearestNeighbors(n_neighbors=4).fit(X)], X


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_round_trip_predicts_the_same_and_is_deterministic():
    models, X = _fitted_models()
    for m in models:
        data = to_artifact(m)
        assert b"pickle" not in data and to_artifact(m) == data
        m2 = from_artifact(data)
        if hasattr(m, "predict"):
            np.testing.assert_array_equal(m2.predict(X), m.predict(X))
        else:
            np.testing.assert_array_equal(m2.kneighbors(X)[1], m.kneighbors(X)[1])
        assert to_artifact(m2) == data


def _rewrite_header(data, edit):
    n0 = len(b"MLPARITY-ARTIFACT/1\n") + 8
    (n,) = struct.unpack("<Q", data[n0 - 8:n0])
    header = json.loads(data[n0:n0 + n]); edit(header)
    head = json.dumps(header).encode()
    return data[:n0 - 8] + struct.pack("<Q", len(head)) + head + data[n0 + n:]


@pytest.mark.parametrize("edit, message", [
    (lambda h: h.update(type="builtins.eval"), "not an allowed type"),
    (lambda h: h.update(type="sklearn.tree.DecisionTreeClassifier"), "not an allowed type"),
    (lambda h: h["arrays"]["coef_"].update(dtype="|O"), "only numeric arrays"),
    (lambda h: h["arrays"]["coef_"].update(offset=10**9), "does not fit"),
    (lambda h: h["arrays"]["coef_"].update(shape=[10**6]), "does not fit"),
    (lambda h: h["arrays"]["coef_"].update(dtype="<f9"), "corrupt artifact"),
    (lambda h: h["params"].update(no_such_param=1), "corrupt artifact"),
])
def test_hostile_headers_are_refused(edit, message):
    data = _rewrite_header(to_artifact(ridge(0)), edit)
    with pytest.raises(ArtifactFormatError, match=message): from_artifact(data)


def test_pickle_and_unsupported_types_are_refused(tmp_path):
    import pickle
    with pytest.raises(ArtifactFormatError, match="not an mlparity artifact"): from_artifact(pickle.dumps(ridge(0)))
    reg = ModelRegistry(tmp_path)
    with pytest.raises(ArtifactFormatError, match="cannot store a DecisionTreeClassifier"):
        reg.publish("m", DecisionTreeClassifier().fit([[0], [1]], [0, 1]))
    assert reg.versions("m") == [] and not any((tmp_path / "objects").rglob("*.*"))


_SMALL = to_artifact(LogisticRegression().fit([[0.0, 1], [1, 0], [2, 2], [3, 1]], [0, 1, 0, 1]))


@settings(max_examples=200, deadline=None)
@given(pos=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_any_single_byte_change_gives_a_model_or_a_format_error(pos, byte):
    data = bytearray(_SMALL)
    data[pos % len(data)] = byte
    try: m = from_artifact(bytes(data))
    except ArtifactFormatError: return
    assert type(m).__name__ in {"LogisticRegression", "LinearRegression", "Ridge", "NearestNeighbors"}


# --- bad input, fresh folders, protocols ----------------------------------------------------------------------------

def test_fresh_nested_folder_and_a_second_handle(tmp_path):
    path = tmp_path / "a" / "b" / "registry"
    assert ModelRegistry(path).publish("recs", ridge(0), {"note": "first"}) == 1
    other = ModelRegistry(str(path))
    assert other.versions("recs") == [1] and other.load("recs")[1] == 1
    assert other.history("recs").metadata.tolist() == ['{"note": "first"}']
    assert isinstance(other.store, ObjectStore) and isinstance(other.meta, MetadataStore)


def test_bad_input_is_explained(tmp_path):
    reg = ModelRegistry(tmp_path)
    with pytest.raises(ValueError, match="invalid model name"): reg.publish("../m", ridge(0))
    with pytest.raises(TypeError, match="metadata must be a dict"): reg.publish("m", ridge(0), {"x": object()})
    with pytest.raises(KeyError, match="no model named 'm'"): reg.load("m")
    reg.publish("m", ridge(0))
    with pytest.raises(KeyError, match=r"has no version 5 \(versions: \[1\]\)"): reg.load("m", 5)
    with pytest.raises(TypeError, match="version must be an int or 'latest'"): reg.load("m", "1")
    with pytest.raises(ValueError, match="invalid object key"): reg.store.put("/etc/passwd", b"")


def test_checks_explain_bad_input_and_catch_mismatches():
    fleet = pd.DataFrame({"server": ["a", "b"], "reported_version": [2, 2], "loaded_version": [2, 1]})
    rep = check_served_versions(fleet)
    assert not rep.ok and [f.subject for f in rep.errors] == ["b"]
    with pytest.raises(KeyError, match=r"\['loaded_version'\] missing from fleet"):
        check_served_versions(fleet.drop(columns="loaded_version"))
    log = pd.DataFrame({"arm": ["control"] * 4 + ["treatment"] * 4, "loaded_version": [1] * 6 + [2] * 2,
                        "outcome": [0, 1, 0, 1, 1, 1, 1, 1]})
    rep = ab_report(log, {"control": 1, "treatment": 2})
    assert not rep.ok and np.isnan(rep.lift)
    assert "2 of 4 requests of arm 'treatment' were served by version(s) [1]" in str(rep)
    good = ab_report(log[log.arm.eq("control") | log.loaded_version.eq(2)], {"control": 1, "treatment": 2})
    assert good.ok and good.lift == pytest.approx(0.5)
    with pytest.raises(KeyError, match="arm 'treatment' has no assigned version"): ab_report(log, {"control": 1})


def test_route_arms_routes_by_loaded_version_and_refuses_when_none_has_it():
    from mlparity.registry import route_arms
    fleet = pd.DataFrame({"server": ["c", "t1", "t2"], "loaded_version": [1, 2, 1]})
    assert route_arms(fleet, {"control": 1, "treatment": 2}) == {"control": ["c", "t2"], "treatment": ["t1"]}
    with pytest.raises(LookupError, match=r"no server has loaded version\(s\) \{'treatment': 3\} \(loaded versions: \[1, 2\]\)"):
        route_arms(fleet, {"control": 1, "treatment": 3})
    with pytest.raises(KeyError, match="missing from fleet"): route_arms(fleet.rename(columns={"server": "host"}), {"a": 1})


@pytest.mark.parametrize("step", FAULT_POINTS)
def test_raise_mode_of_the_hook_fails_the_publish_and_commits_nothing(tmp_path, monkeypatch, step):
    reg = ModelRegistry(tmp_path)
    monkeypatch.setenv(FAULT_ENV, f"{step}:raise")
    with pytest.raises(RuntimeError, match=f"injected fault at {step}"): reg.publish("m", ridge(0))
    monkeypatch.delenv(FAULT_ENV)
    assert reg.versions("m") == [] and reg.publish("m", ridge(0)) == 1
    assert not list((tmp_path / "objects").rglob(".tmp-*")), "a failed put left its temporary file behind"


def test_reports_are_report_subclasses_complete_when_built():
    from mlparity.core import Report
    from mlparity.registry import ABReport, ServedVersionsReport
    fleet = pd.DataFrame({"server": ["a", "b"], "reported_version": [2, 2], "loaded_version": [2, 1]})
    rep = check_served_versions(fleet)
    assert type(rep) is ServedVersionsReport and rep.failing == ["b"] and rep.fleet is rep.tables["fleet"]
    log = pd.DataFrame({"arm": ["control"] * 2 + ["treatment"] * 2, "loaded_version": [1, 1, 2, 2], "outcome": [0, 1, 1, 1]})
    ab = ab_report(log, {"control": 1, "treatment": 2})
    assert type(ab) is ABReport and isinstance(ab, Report) and ab.lift == pytest.approx(0.5)
    assert [f.check for f in ab] == ["registry.ab_lift"] and ab.findings[0].evidence == {"lift": 0.5}
    assert np.isnan(ABReport([]).lift) and ABReport([], lift=0.25).lift == 0.25
    assert all(f.check.startswith("registry.") for r in (rep, ab) for f in r)


def test_opening_waits_for_a_writer_instead_of_failing_at_once(tmp_path):
    """Switching a database to WAL needs it whole, and SQLite answers "database is locked" at once, without its busy
    wait, while another connection writes. Several processes opening a new registry together hit that (the concurrent
    publishers above did, now and then). Opening retries until `timeout` instead."""
    import threading
    p, ready = tmp_path / "registry.sqlite", threading.Event()
    def write_for_half_a_second():
        a = sqlite3.connect(p, isolation_level=None)
        a.execute("CREATE TABLE other (i)"); a.execute("BEGIN IMMEDIATE"); a.execute("INSERT INTO other VALUES (1)")
        ready.set(); time.sleep(0.5); a.execute("COMMIT"); a.close()
    t = threading.Thread(target=write_for_half_a_second); t.start(); ready.wait()
    t0 = time.monotonic()
    store = SQLiteMetadataStore(p, timeout=10)
    t.join()
    assert 0.3 < time.monotonic() - t0 < 5          # it waited for the writer, then opened
    con = sqlite3.connect(p)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal" and store.versions("m") == []
