"""Hostile input for `mlparity.registry` (issue 13): symlinks planted to write outside the registry, names that only
look whole, and a read-only registry folder (a serving replica) that must still `load`.

Each case asserts the error type and the words that name the problem, and that nothing was written or committed."""
import hashlib, os, sqlite3, stat, tempfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from mlparity.registry import LocalObjectStore, ModelRegistry, SQLiteMetadataStore, to_artifact


def ridge(i):
    X = np.arange(12.0).reshape(4, 3) + i
    return Ridge(alpha=1.0 + i).fit(X, [1.0, 2.0, 3.0, 4.0 + i])


def key_of(model):
    h = hashlib.sha256(to_artifact(model)).hexdigest()
    return f"sha256/{h[:2]}/{h}"


def files(folder): return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*"))


# ---------------------------------------------------------------- symlinks planted under the registry
def test_symlinked_artifact_folder_is_refused_and_nothing_is_written_outside(tmp_path):
    reg, outside = ModelRegistry(tmp_path / "reg"), tmp_path / "outside"
    outside.mkdir()
    reg.publish("m", ridge(0))
    model = ridge(1)
    prefix = reg.path / "objects" / key_of(model).rsplit("/", 1)[0]
    prefix.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, prefix)                                   # objects/sha256/xx -> outside
    with pytest.raises(PermissionError) as e: reg.publish("m", model)
    assert "outside the store's folder" in str(e.value) and "remove the link" in str(e.value)
    assert files(outside) == [] and reg.versions("m") == [1]


def test_symlinked_sha_folder_higher_up_is_refused(tmp_path):
    reg, outside = ModelRegistry(tmp_path / "reg"), tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, reg.path / "objects" / "sha256")         # the whole sha256/ folder
    with pytest.raises(PermissionError, match="outside the store's folder"): reg.publish("m", ridge(0))
    assert files(outside) == [] and reg.versions("m") == []


def test_a_symlinked_artifact_file_is_refused_on_load(tmp_path):
    reg = ModelRegistry(tmp_path / "reg")
    reg.publish("m", ridge(0))
    p = reg.path / "objects" / reg.meta.get("m")["key"]
    secret = tmp_path / "secret.bin"; secret.write_bytes(p.read_bytes())
    p.unlink(); os.symlink(secret, p)                             # the artifact is a link to a file elsewhere
    with pytest.raises(PermissionError, match="outside the store's folder"): reg.load("m")


@pytest.mark.parametrize("part", ["objects", "registry.sqlite"])
def test_default_stores_that_link_out_of_the_registry_are_refused(tmp_path, part):
    root, outside = tmp_path / "reg", tmp_path / "outside"
    root.mkdir(); outside.mkdir()
    os.symlink(outside / part, root / part)
    with pytest.raises(PermissionError) as e: ModelRegistry(root)
    assert "outside the registry" in str(e.value) and str(root / part) in str(e.value)
    assert files(outside) == []


def test_a_registry_behind_a_symlink_is_fine(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    reg = ModelRegistry(tmp_path / "link")
    assert reg.publish("m", ridge(0)) == 1 and reg.load("m")[1] == 1


# ---------------------------------------------------------------- names matched whole
BAD_NAMES = ["model\n", "model\r\n", "\nmodel", "model ", " model", "", "mo del", "a/b", "../m", "mödel", "m\x00", None, 3, b"m"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_names_are_matched_whole(tmp_path, name):
    reg = ModelRegistry(tmp_path)
    reg.publish("model", ridge(0))
    with pytest.raises(ValueError, match="invalid model name"): reg.publish(name, ridge(1))
    assert reg.meta.names() == ["model"] and reg.versions("model") == [1]


@pytest.mark.parametrize("key", ["a/b\n", "a/b\r", "a//b", "/a", "a/", "a/./b", "a/../b", "", "a b"], ids=repr)
def test_object_keys_are_matched_whole(tmp_path, key):
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ValueError, match="invalid object key"): store.put(key, b"x")
    assert files(tmp_path) == []


# ---------------------------------------------------------------- a read-only registry folder
def _as_a_reader(fn, *args):
    "Run `fn(*args)` in a child process that cannot write the registry (as user nobody when we are root); its result or error text."
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            if os.getuid() == 0: os.setgid(65534); os.setuid(65534)
            out = "ok: " + repr(fn(*args))
        except BaseException as e: out = f"{type(e).__name__}: {e}"
        os.write(w, out.encode()); os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536): data += chunk
    os.waitpid(pid, 0)
    return data.decode()


@pytest.fixture
def shared_tmp():
    "A folder every user can read (pytest's tmp_path is private to its owner)."
    d = Path(tempfile.mkdtemp(prefix="mlparity-ro-"))
    d.chmod(0o755)
    yield d
    for p in d.rglob("*"):
        if p.is_dir() and not p.is_symlink(): p.chmod(0o755)
    import shutil; shutil.rmtree(d)


def _freeze(folder):
    for p in [folder, *folder.rglob("*")]:
        p.chmod((p.stat().st_mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
                | ((stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH) if p.is_dir() else 0))


def _load(path, name, version="latest"):
    m, v = ModelRegistry(path).load(name, version)
    return v, type(m).__name__, ModelRegistry(path).read_only, ModelRegistry(path).versions(name)


def _publish(path): return ModelRegistry(path).publish("m", ridge(9))


def test_a_read_only_registry_still_loads(shared_tmp):
    root = shared_tmp / "reg"
    reg = ModelRegistry(root)
    reg.publish("m", ridge(0)); reg.publish("m", ridge(1))
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    _freeze(root)
    assert _as_a_reader(_load, root, "m") == "ok: (2, 'Ridge', True, [1, 2])"
    assert _as_a_reader(_load, root, "m", 1) == "ok: (1, 'Ridge', True, [1, 2])"
    out = _as_a_reader(_publish, root)
    assert out.startswith("PermissionError: cannot publish 'm'") and str(root) in out and "read-only" in out, out
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before        # nothing was written, not even a -shm file
    missing = _as_a_reader(_load, root, "nope")
    assert missing.startswith("KeyError") and "no model named 'nope'" in missing and str(root) in missing, missing


def test_a_read_only_registry_while_a_writer_holds_its_log(shared_tmp):
    root = shared_tmp / "reg"
    ModelRegistry(root).publish("m", ridge(0))
    con = sqlite3.connect(str(root / "registry.sqlite"))           # a writer with the database open: -wal and -shm exist
    con.execute("BEGIN IMMEDIATE"); con.execute("SELECT COUNT(*) FROM versions").fetchall()
    try:
        for p in root.rglob("*"): p.chmod(p.stat().st_mode | 0o444 | (0o111 if p.is_dir() else 0))
        root.chmod(0o555)
        out = _as_a_reader(_load, root, "m")
        # either SQLite reads through the writer's log, or the error names the file and says why
        assert out == "ok: (1, 'Ridge', True, [1])" or ("OperationalError" in out and "registry.sqlite" in out and "write-ahead log" in out), out
    finally:
        root.chmod(0o755); con.rollback(); con.close()


def test_read_only_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError) as e: SQLiteMetadataStore(tmp_path / "none.sqlite", read_only=True)
    assert str(tmp_path / "none.sqlite") in str(e.value) and "read-only" in str(e.value)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(str(other)).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ValueError, match="is not an mlparity registry database"): SQLiteMetadataStore(other, read_only=True)
    (tmp_path / "garbage.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(sqlite3.DatabaseError) as e: SQLiteMetadataStore(tmp_path / "garbage.sqlite")
    assert str(tmp_path / "garbage.sqlite") in str(e.value)
    reg = ModelRegistry(tmp_path / "reg"); reg.publish("m", ridge(0))
    ro = ModelRegistry(tmp_path / "reg", read_only=True)                     # explicit, e.g. on a read-only mount
    assert ro.read_only and ro.load("m")[1] == 1 and "read_only=True" in repr(ro)
    with pytest.raises(PermissionError, match="is read-only"): ro.publish("m", ridge(1))
    with pytest.raises(PermissionError, match="is read-only"): ro.store.put("a", b"x")
    with pytest.raises(PermissionError, match="is read-only"): ro.meta.add("m", "0" * 64, "k", "t", {})
    assert reg.versions("m") == [1]


def test_importing_the_registry_does_not_import_sklearn():
    import subprocess, sys
    code = ("import sys, mlparity.registry, mlparity.validate; "
            "print(sorted(m for m in ('sklearn', 'scipy', 'matplotlib', 'dask') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
    # the defaults arrive on first use, and round-trip as before
    code = ("from mlparity.registry import to_artifact, from_artifact; from sklearn.linear_model import Ridge; "
            "m = Ridge().fit([[0.0], [1.0]], [0.0, 1.0]); print(type(from_artifact(to_artifact(m))).__name__)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "Ridge"


# ---------------------------------------------------------------- a table of hostile arguments for every public function
import pandas as pd
from mlparity.registry import ArtifactFormatError, IntegrityError, ab_report, check_served_versions, from_artifact, route_arms

FLEET = pd.DataFrame({"server": ["a", "b"], "reported_version": [1, 2], "loaded_version": [1, 1]})
LOG = pd.DataFrame({"arm": ["control", "treatment"], "loaded_version": [1, 2], "outcome": [0.0, 1.0]})


def _reg(tmp):
    reg = ModelRegistry(tmp / "reg"); reg.publish("m", ridge(0))
    return reg


HOSTILE = [  # (id, call taking a tmp folder, error type, words)
    ("publish: name None", lambda t: _reg(t).publish(None, ridge(0)), ValueError, "invalid model name None"),
    ("publish: metadata a list", lambda t: _reg(t).publish("m", ridge(0), [1]), TypeError, "metadata must be a dict"),
    ("publish: metadata NaN", lambda t: _reg(t).publish("m", ridge(0), {"auc": float("nan")}), TypeError, "metadata must be a dict of plain JSON"),
    ("publish: not a model", lambda t: _reg(t).publish("m", "model.pkl"), ArtifactFormatError, "cannot store a str"),
    ("load: version 0", lambda t: _reg(t).load("m", 0), KeyError, "has no version 0 (versions: [1])"),
    ("load: version -1", lambda t: _reg(t).load("m", -1), KeyError, "has no version -1"),
    ("load: version 1.0", lambda t: _reg(t).load("m", 1.0), TypeError, "version must be an int or 'latest'"),
    ("load: version True", lambda t: _reg(t).load("m", True), TypeError, "version must be an int or 'latest'"),
    ("load: version 'v1'", lambda t: _reg(t).load("m", "v1"), TypeError, "version must be an int or 'latest'"),
    ("load: unknown model", lambda t: _reg(t).load("n"), KeyError, "no model named 'n'"),
    ("load: name with newline", lambda t: _reg(t).load("m\n"), KeyError, "(models: ['m'])"),
    ("from_artifact: text", lambda t: from_artifact("MLPARITY"), TypeError, "an artifact is bytes, got str"),
    ("from_artifact: empty", lambda t: from_artifact(b""), ArtifactFormatError, "not an mlparity artifact"),
    ("to_artifact: None", lambda t: to_artifact(None), ArtifactFormatError, "cannot store a NoneType"),
    ("served: not a frame", lambda t: check_served_versions(FLEET.to_dict()), TypeError, "fleet must be a pandas DataFrame, got dict"),
    ("served: column missing", lambda t: check_served_versions(FLEET, loaded="loaded"), KeyError, "['loaded'] missing from fleet"),
    ("route: not a frame", lambda t: route_arms([("a", 1)], {"control": 1}), TypeError, "fleet must be a pandas DataFrame, got list"),
    ("route: no server has it", lambda t: route_arms(FLEET, {"control": 3}), LookupError, "no server has loaded version(s) {'control': 3}"),
    ("ab: not a frame", lambda t: ab_report(None, {"control": 1, "treatment": 2}), TypeError, "log must be a pandas DataFrame, got NoneType"),
    ("ab: outcome missing", lambda t: ab_report(LOG.drop(columns="outcome"), {"control": 1, "treatment": 2}), KeyError, "['outcome'] missing from log"),
    ("ab: arm unassigned", lambda t: ab_report(LOG, {"control": 1}), KeyError, "arm 'treatment' has no assigned version"),
    ("store: key with a newline", lambda t: LocalObjectStore(t).get("a\n"), ValueError, "invalid object key"),
    ("store: key not text", lambda t: LocalObjectStore(t).exists(3), ValueError, "invalid object key 3"),
    ("store: missing object", lambda t: LocalObjectStore(t).get("a/b"), KeyError, "no object 'a/b'"),
]


@pytest.mark.parametrize("call,exc,words", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_arguments_get_a_clear_error(tmp_path, call, exc, words):
    with pytest.raises(exc) as e: call(tmp_path)
    assert words in str(e.value), str(e.value)


def test_a_tampered_version_is_refused_not_served(tmp_path):
    reg = _reg(tmp_path)
    p = reg.path / "objects" / reg.meta.get("m")["key"]
    p.write_bytes(p.read_bytes()[:-3])
    with pytest.raises(IntegrityError, match="version 1 of 'm' refused"): reg.load("m")
