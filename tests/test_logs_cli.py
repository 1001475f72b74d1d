"""`mlparity skew`: the subcommand built by `mlparity.logs.add_skew_parser`, run through `mlparity.cli.main`, with the exit
statuses of the other subcommands (0 pass, 1 problem, 2 unusable input)."""
import json
import numpy as np
import pandas as pd
import pytest

from mlparity.cli import main
from mlparity.logs import FeatureLog

T0 = pd.Timestamp("2024-08-01")


def skew(argv)->int:
    "`mlparity skew ...` through the command line itself: parse, run, print, write --html, map errors to status 2."
    return main(["skew", *map(str, argv)])


@pytest.fixture
def files(tmp_path):
    days = pd.date_range(T0, periods=5, freq="D")
    off = pd.DataFrame([(u, d, float(u + i)) for i, d in enumerate(days) for u in range(10)], columns=["user_id", "valid_from", "x"])
    off.to_parquet(tmp_path / "offline.parquet"); off.to_csv(tmp_path / "offline.csv", index=False)
    rng = np.random.default_rng(0)
    with FeatureLog(tmp_path / "good", key="user_id") as good, FeatureLog(tmp_path / "bad", key="user_id") as bad:
        for _ in range(100):
            i, u = int(rng.integers(0, 5)), int(rng.integers(0, 10))
            t = days[i] + pd.Timedelta(seconds=int(rng.integers(0, 86400)))
            good.log(t, u, {"x": float(u + i)})
            bad.log(t, u, {"x": float(u + i) * (3 if i >= 3 else 1)})
    return tmp_path


def test_exit_status_pass_and_fail(files, capsys):
    assert skew([files / "good", files / "offline.parquet", "--key", "user_id", "--valid-time", "valid_from"]) == 0
    assert skew([files / "bad", files / "offline.csv", "--key", "user_id", "--valid-time", "valid_from", "--by", "hour"]) == 1
    out = capsys.readouterr().out
    assert "logs.values" in out and "first diverged at request" in out


def test_json_and_html(files, capsys):
    html = files / "skew.html"
    assert skew([files / "bad", files / "offline.parquet", "--key", "user_id", "--valid-time", "valid_from", "--json", "--html", html]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] is False and any(f["check"] == "logs.values" for f in rep["findings"])
    assert html.read_text().count("<img") == 1


@pytest.mark.parametrize("argv, message", [
    (["{d}/nope", "{d}/offline.parquet", "--key", "user_id"], "no such file or folder"),
    (["{d}/good", "{d}/offline.parquet", "--key", "user"], "missing from the log"),
    (["{d}/good", "{d}/offline.parquet", "--key", "user_id"], "missing from offline"),     # no request_time column there
    (["{d}/good", "{d}/offline.txt", "--key", "user_id"], "no such file"),
    (["{d}/good", "{d}/offline.parquet", "--key", "user_id", "--valid-time", "valid_from", "--max-age", "soon"], "--max-age 'soon'"),
    (["{d}/good", "{d}/offline.parquet", "--key", "user_id", "--valid-time", "valid_from", "--html", "{d}/no/x.html"], "does not exist"),
    (["{d}/good", "{d}/offline.parquet", "--key", "user_id", "--valid-time", "user_id"], "not datetime64"),
])
def test_unusable_input_is_status_2(files, capsys, argv, message):
    assert skew([a.format(d=files) for a in argv]) == 2
    assert message in capsys.readouterr().err


def test_usage_error_is_status_2(files):
    assert skew([files / "good"]) == 2                         # OFFLINE missing: argparse exits with 2
