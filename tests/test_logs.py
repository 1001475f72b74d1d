"""`mlparity.logs.FeatureLog` and `read_log`: thread safety, a writer killed mid-write, sampling by key across
processes, refused schema changes, flushes on size, time and close."""
import os, signal, subprocess, sys, textwrap, threading, time
from pathlib import Path
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")
from mlparity.logs import FeatureLog, read_log, log_files, sampling_hash

ROOT = Path(__file__).resolve().parents[1]
T0 = pd.Timestamp("2024-08-01 09:00")


def child(code:str, **kw)->subprocess.Popen:
    "A Python process running `code` with the package importable."
    env = {**os.environ, "PYTHONPATH": str(ROOT), **kw.pop("env", {})}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_threads_lose_and_duplicate_no_row(tmp_path):
    n_threads, per = 8, 1500
    with FeatureLog(tmp_path, key=["thread", "i"], max_rows=97, max_seconds=0.05) as log:
        def work(k):
            for i in range(per):
                log.log(T0 + pd.Timedelta(seconds=i), (k, i), {"x": float(k * per + i), "s": f"t{k}"})
        ts = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
        for t in ts: t.start()
        for t in ts: t.join()
    df = read_log(tmp_path)
    assert len(df) == n_threads * per
    assert not df.duplicated(["thread", "i"]).any()
    assert (df["x"] == df["thread"] * per + df["i"]).all()
    assert (df["s"] == "t" + df["thread"].astype(str)).all()
    assert len(log.files) >= n_threads * per // 97


def test_flush_on_size_time_and_close(tmp_path):
    log = FeatureLog(tmp_path / "size", max_rows=10, max_seconds=None)
    for i in range(25): log.log(T0, i, {"x": 1.0})
    assert len(log_files(tmp_path / "size")) == 2 and len(read_log(tmp_path / "size")) == 20
    log.close()
    assert len(read_log(tmp_path / "size")) == 25
    with pytest.raises(ValueError, match="is closed"): log.log(T0, 1, {"x": 1.0})
    # on time: the background flusher writes rows that waited max_seconds, with no further request
    log = FeatureLog(tmp_path / "time", max_rows=1000, max_seconds=0.2)
    for i in range(3): log.log(T0, i, {"x": 1.0})
    assert log_files(tmp_path / "time") == []
    deadline = time.monotonic() + 10
    while not log_files(tmp_path / "time") and time.monotonic() < deadline: time.sleep(0.05)
    assert len(read_log(tmp_path / "time")) == 3
    log.close()
    # on close, as a context manager
    with FeatureLog(tmp_path / "ctx", max_rows=1000, max_seconds=None) as log:
        for i in range(7): log.log(T0, i, {"x": 1.0})
        assert log_files(tmp_path / "ctx") == []
    assert len(read_log(tmp_path / "ctx")) == 7


def test_partitions_by_day_and_hour(tmp_path):
    with FeatureLog(tmp_path / "h", partition="hour") as log:
        for i in range(5): log.log(T0 + pd.Timedelta(minutes=50 * i), i, {"x": 1.0})
    parts = sorted({f.parent.relative_to(tmp_path / "h").as_posix() for f in log_files(tmp_path / "h")})
    assert parts == ["day=2024-08-01/hour=09", "day=2024-08-01/hour=10", "day=2024-08-01/hour=11", "day=2024-08-01/hour=12"]
    # tz-aware request times are partitioned by their UTC day
    with FeatureLog(tmp_path / "tz") as log:
        log.log(pd.Timestamp("2024-08-01 23:30", tz="Europe/Paris"), 1, {"x": 1.0})
    assert [f.parent.name for f in log_files(tmp_path / "tz")] == ["day=2024-08-01"]
    assert str(read_log(tmp_path / "tz")["request_time"].dt.tz) == "UTC"


def test_wrap_logs_each_call(tmp_path):
    log = FeatureLog(tmp_path, key="user_id", model_version="v7")
    @log.wrap
    def serve(user_id, request_time, extra=0):
        return {"score": user_id / 10 + extra}
    assert serve(3, T0) == {"score": 0.3}
    serve(request_time=T0, user_id=4, extra=1)
    log.close()
    df = read_log(tmp_path)
    assert df[["user_id", "score", "model_version"]].values.tolist() == [[3, 0.3, "v7"], [4, 1.4, "v7"]]
    with pytest.raises(TypeError, match="has no argument"):
        FeatureLog(tmp_path / "other", key="user_id").wrap(lambda uid, t: {})


def test_schema_change_refused(tmp_path):
    log = FeatureLog(tmp_path, max_seconds=None)
    log.log(T0, 1, {"x": 1.5, "n": 2})
    log.log(T0, 2, {"x": 3, "n": 4})                 # an int into a float column is fine
    with pytest.raises(TypeError, match="column 'x' is logged as float64 .* gives string 'a'"):
        log.log(T0, 3, {"x": "a", "n": 1})
    with pytest.raises(TypeError, match=r"declare schema=\{'n': 'float64'\}"):
        log.log(T0, 3, {"x": 1.0, "n": 0.5})
    with pytest.raises(ValueError, match=r"feature\(s\) \['y'\] are not columns"):
        log.log(T0, 3, {"x": 1.0, "n": 1, "y": 1.0})
    with pytest.raises(TypeError, match="request time must be a datetime"):
        FeatureLog(tmp_path / "t").log(12.5, 1, {"x": 1.0})
    log.close()
    assert len(read_log(tmp_path)) == 2              # refused rows were not buffered
    # a second writer (another replica) on the same folder inherits the schema of the files there
    other = FeatureLog(tmp_path)
    with pytest.raises(TypeError, match="column 'x' is logged as float64"):
        other.log(T0, 1, {"x": "high", "n": 1})
    other.close()
    # and a file written with another schema is refused by the reader, naming the column and both files
    with FeatureLog(tmp_path / "b") as b: b.log(T0, 1, {"x": "high", "n": 1})
    f = log_files(tmp_path / "b")[0]
    f.rename(tmp_path / "day=2024-08-01" / "part-zz.parquet")
    with pytest.raises(ValueError, match=r"schema changed between log files .*x: double in .*, string in part-zz.parquet"):
        read_log(tmp_path)


def test_key_hash_is_stable_and_type_blind():
    assert sampling_hash(5) == sampling_hash(5.0) == sampling_hash(np.int64(5)) == sampling_hash(np.float32(5))
    assert sampling_hash(5) != sampling_hash("5") and sampling_hash((1, "a")) != sampling_hash((1, "b"))
    assert sampling_hash("user-42") == pytest.approx(sampling_hash("user-42"))
    assert round(sampling_hash(42), 12) == round(sampling_hash(42.0), 12)
    # pinned: a change here would make replicas of different versions sample different users
    assert sampling_hash(12345) == 0.24749291649919547


SAMPLER = """
import sys, pandas as pd
from mlparity.logs import FeatureLog
with FeatureLog(sys.argv[1] if len(sys.argv) > 1 else {out!r}, key="user", sample=0.3) as log:
    for i in range(2000):
        log.log(pd.Timestamp("2024-08-01") + pd.Timedelta(seconds=i), f"user-{{i}}", {{"x": float(i)}})
"""


def test_sampling_picks_the_same_entities_in_two_processes(tmp_path):
    procs = [child(SAMPLER.format(out=str(tmp_path / f"r{k}")), env={"PYTHONHASHSEED": str(k + 1)}) for k in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    a, b = (set(read_log(tmp_path / f"r{k}")["user"]) for k in range(2))
    assert a == b
    assert 0.25 < len(a) / 2000 < 0.35
    # and this process, with yet another string hash seed, agrees with both
    log = FeatureLog(tmp_path / "here", key="user", sample=0.3)
    assert {f"user-{i}" for i in range(2000) if log.sampled(f"user-{i}")} == a
    log.close()


WRITER = """
import os, sys, time, pandas as pd
import mlparity.logs as L
real_fsync = os.fsync
def slow_fsync(fd):
    print("writing", flush=True)   # the parent kills us now: the file is written to its hidden name, not renamed
    time.sleep(30)
    real_fsync(fd)
state = {{"n": 0}}
def fsync(fd):
    state["n"] += 1
    (slow_fsync if state["n"] == {kill_at} else real_fsync)(fd)
L.os.fsync = fsync
log = L.FeatureLog({out!r}, key="user_id", max_rows=500, max_seconds=None)
for i in range(10**6):
    log.log(pd.Timestamp("2024-08-01") + pd.Timedelta(seconds=i), i, {{"x": float(i), "pad": "p" * 50}})
"""


@pytest.mark.parametrize("kill_at", [1, 7])
def test_sigkill_mid_write_leaves_no_torn_file(tmp_path, kill_at):
    out = tmp_path / "log"
    p = child(WRITER.format(out=str(out), kill_at=2 * kill_at - 1))   # two fsyncs a file: odd ones are files
    line = p.stdout.readline()
    assert line.strip() == "writing", p.stderr.read()
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    hidden = [f for f in out.rglob("*") if f.name.endswith(".partial")]
    assert len(hidden) == 1                                  # the file being written when the process died...
    assert hidden[0] not in log_files(out)                   # ...is where no reader looks
    files = log_files(out)
    assert len(files) == kill_at - 1
    if files:
        df = read_log(out)                                   # every visible file is whole
        assert df["user_id"].tolist() == list(range(500 * (kill_at - 1)))
    else:
        with pytest.raises(FileNotFoundError, match="no log files"): read_log(out)


def test_concurrent_reader_never_sees_a_torn_file(tmp_path):
    "A reader polling while a writer is killed at a random moment only ever reads whole files."
    out = tmp_path / "log"
    code = f"""
import pandas as pd
from mlparity.logs import FeatureLog
log = FeatureLog({str(out)!r}, key="user_id", max_rows=2000, max_seconds=None)
for i in range(10**7):
    log.log(pd.Timestamp("2024-08-01") + pd.Timedelta(seconds=i), i, {{"x": float(i), "pad": "p" * 200}})
"""
    p = child(code)
    rng = np.random.default_rng(0)
    deadline = time.monotonic() + 60
    while len(log_files(out)) < 3 and time.monotonic() < deadline: time.sleep(0.05)
    reads = 0
    kill_at = time.monotonic() + rng.uniform(0.2, 1.0)
    while time.monotonic() < kill_at:
        df = read_log(out); reads += 1
        assert len(df) % 2000 == 0 and df["user_id"].tolist() == list(range(len(df)))
    os.kill(p.pid, signal.SIGKILL); p.wait(timeout=30)
    df = read_log(out)
    assert reads > 0 and len(df) % 2000 == 0 and df["user_id"].tolist() == list(range(len(df)))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="partition must be 'day' or 'hour'"): FeatureLog(tmp_path, partition="week")
    with pytest.raises(ValueError, match="sample must be in"): FeatureLog(tmp_path, sample=2)
    with pytest.raises(ValueError, match="max_rows must be a positive integer"): FeatureLog(tmp_path, max_rows=0)
    with pytest.raises(ValueError, match="is also a key column"): FeatureLog(tmp_path, key="t", time="t")
    log = FeatureLog(tmp_path, key=["a", "b"])
    with pytest.raises(TypeError, match="key must be a tuple of 2 values"): log.log(T0, 1, {"x": 1.0})
    log.close()
    with pytest.raises(FileNotFoundError, match="no such folder"): read_log(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no log files"): read_log(tmp_path)
