"""`compare_logged` on Dask (a log in many partitions, read from partitioned Parquet) gives the report pandas gives."""
import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
import dask
from mlparity.logs import compare_logged, FeatureLog, read_log, log_files

T0 = pd.Timestamp("2024-08-01")


def case(seed, n_users=30, n_days=10, n_req=600):
    rng = np.random.default_rng(seed)
    days = pd.date_range(T0, periods=n_days, freq="D")
    off = pd.DataFrame([(u, d, float(rng.integers(0, 4)), int(rng.integers(0, 3))) for d in days for u in range(n_users)],
                       columns=["user_id", "valid_from", "x", "n"])
    log = pd.DataFrame({"user_id": rng.integers(0, n_users + 3, n_req),     # three users have no training rows
                        "request_time": T0 - pd.Timedelta("2h") + pd.to_timedelta(rng.integers(0, n_days * 86400, n_req), unit="s")})
    m = pd.merge_asof(log.reset_index().sort_values("request_time"), off.sort_values("valid_from"), left_on="request_time",
                      right_on="valid_from", by="user_id").set_index("index").sort_index()
    log["x"] = m["x"].fillna(0.0).to_numpy(); log["n"] = m["n"].fillna(0).astype(int).to_numpy()
    # stale values for some users late on, a wrong value here and there, a repeated request
    stale = (log.user_id < 5) & (log.request_time > T0 + pd.Timedelta(days=6))
    prev = pd.merge_asof(log.assign(t=log.request_time - pd.Timedelta(days=2)).reset_index().sort_values("t"), off.sort_values("valid_from"),
                         left_on="t", right_on="valid_from", by="user_id", suffixes=("", "_old")).set_index("index").sort_index()
    log.loc[stale, "x"] = prev.loc[stale, "x_old"].to_numpy()
    log.loc[rng.random(n_req) < 0.05, "n"] += 1
    log = pd.concat([log, log.iloc[[7, 8]]], ignore_index=True)
    return log, off


def same(a, b):
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.timeline.reset_index(drop=True), b.timeline.reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(a.first, b.first)
    pd.testing.assert_frame_equal(a.examples.reset_index(drop=True), b.examples.reset_index(drop=True), check_dtype=False)
    assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]


@pytest.fixture(autouse=True)
def small_buckets(monkeypatch):
    "Buckets of a few hundred rows, so that these small tests join in several buckets, as large logs do."
    import mlparity.logs
    monkeypatch.setattr(mlparity.logs, "_BUCKET_ROWS", 300)


@pytest.mark.parametrize("seed, nlog, noff", [(0, 4, 3), (1, 7, 1), (2, 1, 5)])
def test_dask_equals_pandas(seed, nlog, noff):
    log, off = case(seed)
    kw = dict(key="user_id", valid_time="valid_from", max_age="1D")
    want = compare_logged(log, off, **kw)
    assert not want.ok and {f.check for f in want} >= {"logs.values", "logs.staleness", "logs.duplicates", "logs.no_training_row"}
    with dask.config.set(scheduler="synchronous"):
        got = compare_logged(dd.from_pandas(log, npartitions=nlog, sort=False), dd.from_pandas(off, npartitions=noff, sort=False), **kw)
    same(want, got)


def test_dask_from_partitioned_parquet(tmp_path):
    log, off = case(3)
    with FeatureLog(tmp_path / "log", key="user_id", max_rows=97) as fl:
        for r in log.itertuples(): fl.log(r.request_time, r.user_id, {"x": r.x, "n": r.n})
    files = [str(f) for f in log_files(tmp_path / "log")]
    assert len(files) > 5
    want = compare_logged(tmp_path / "log", off, key="user_id", valid_time="valid_from", by="hour")
    ddlog = dd.read_parquet(files, dataset={"partitioning": None})
    assert ddlog.npartitions == len(files)
    with dask.config.set(scheduler="synchronous"):
        got = compare_logged(ddlog, off, key="user_id", valid_time="valid_from", by="hour")
    same(want, got)


def test_dask_refuses_a_function():
    log, off = case(4)
    with pytest.raises(TypeError, match="runs on pandas"):
        compare_logged(dd.from_pandas(log, npartitions=2), lambda e, a: a, events=off, key="user_id")


@pytest.mark.parametrize("atol", [None, 0.0, 1e-3])
def test_dask_default_tolerance_equals_pandas(atol):
    "The feature-scaled default atol (known only once every bucket is counted) gives pandas' report on Dask, as do explicit ones."
    log, off = case(5)
    noisy = log.index[::7]
    log.loc[noisy, "x"] = log.loc[noisy, "x"] + np.where(log.loc[noisy, "x"] == 0, 3e-16, 0.0)   # float noise where training has 0.0
    kw = dict(key="user_id", valid_time="valid_from") | ({} if atol is None else dict(atol=atol))
    want = compare_logged(log, off, **kw)
    noise = int(((log.loc[noisy, "x"] > 0) & (log.loc[noisy, "x"] < 1e-15)).sum())
    assert noise > 0
    strict = compare_logged(log, off, key="user_id", valid_time="valid_from", atol=0.0)
    x = lambda r: r.summary.set_index("feature").loc["x", "mismatches"]
    assert x(strict) > x(compare_logged(log, off, key="user_id", valid_time="valid_from"))   # the noise is a mismatch only when strict
    with dask.config.set(scheduler="synchronous"):
        got = compare_logged(dd.from_pandas(log, npartitions=4, sort=False), dd.from_pandas(off, npartitions=3, sort=False), **kw)
    same(want, got)


def test_dask_object_column_read_alike_in_every_bucket():
    "An object feature holding numbers for some users and text for others: buckets read it differently, the report is pandas'."
    log, off = case(6)
    as_obj = lambda d: d.assign(s=pd.Series([float(x) if u != 0 else f"v{x:g}" for u, x in zip(d.user_id, d.x)], index=d.index, dtype=object))
    log, off = as_obj(log), as_obj(off)                      # numbers, but text for user 0: only its bucket reads "object"
    odd = log.index[::11][log.user_id.iloc[::11] != 0]
    log.loc[odd, "s"] = [v + 1.0 for v in log.loc[odd, "s"]]
    kw = dict(key="user_id", valid_time="valid_from", columns=["s", "x"])
    want = compare_logged(log, off, **kw)
    assert "s" in want.failing
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):   # keep the objects as they are
        got = compare_logged(dd.from_pandas(log, npartitions=3, sort=False), dd.from_pandas(off, npartitions=2, sort=False), **kw)
    same(want, got)
