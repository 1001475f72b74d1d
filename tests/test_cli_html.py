"""`--html PATH` on every `mlparity` subcommand: the page is written, the exit status is the check's, and a folder that
does not exist is a usage error (status 2) found before the check runs."""
import json
import numpy as np, pandas as pd
import pytest

from mlparity.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from mlparity.legacy import make_legacy_repo, make_clean_repo
    d = tmp_path_factory.mktemp("cli_html")
    rng = np.random.default_rng(0)
    n = 300
    off = pd.DataFrame({"user_id": np.arange(n), "purchase_frequency": rng.poisson(3, n) / 90, "spend": rng.gamma(2, 30, n)})
    off.to_csv(d / "offline.csv", index=False)
    off.assign(purchase_frequency=off.purchase_frequency * 3).to_csv(d / "online.csv", index=False)
    off.to_csv(d / "online_ok.csv", index=False)
    pd.DataFrame({"age": rng.normal(35, 10, 2000)}).to_csv(d / "ref.csv", index=False)
    pd.DataFrame({"age": rng.normal(40, 10, 2000)}).to_csv(d / "cur.csv", index=False)
    (d / "train.yaml").write_text("serving:\n  top_k: 10  # one value for both paths\n")
    (d / "serve.yaml").write_text("serving:\n  top_k: 12  # copied from predict.py\n")
    make_legacy_repo(d / "legacy"); make_clean_repo(d / "clean")
    return d


CASES = {  # subcommand: (arguments that fail, arguments that pass)
    "parity": (["parity", "{d}/offline.csv", "{d}/online.csv", "--key", "user_id"],
               ["parity", "{d}/offline.csv", "{d}/online_ok.csv", "--key", "user_id"]),
    "drift": (["drift", "{d}/ref.csv", "{d}/cur.csv"], ["drift", "{d}/ref.csv", "{d}/ref.csv"]),
    "configs": (["configs", "{d}/train.yaml", "{d}/serve.yaml"], ["configs", "{d}/train.yaml", "{d}/train.yaml"]),
    "audit": (["audit", "{d}/legacy"], ["audit", "{d}/clean"]),
}


def _args(args, d): return [a.format(d=d) for a in args]


@pytest.mark.parametrize("command", list(CASES))
def test_html_is_written_and_the_exit_status_is_the_checks(command, files, tmp_path, capsys):
    for args, status in zip(CASES[command], (1, 0)):
        args = _args(args, files)
        assert main(args) == status
        plain = capsys.readouterr().out
        page = tmp_path / f"{command}_{status}.html"
        assert main(args + ["--html", str(page)]) == status
        out = capsys.readouterr().out
        assert out == plain                                 # the terminal report does not change
        html = page.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
        assert ("What failed" in html) == (status == 1)
        assert "http://" not in html and "https://" not in html


def test_html_with_json_keeps_stdout_json(files, tmp_path, capsys):
    page = tmp_path / "parity.html"
    assert main(_args(CASES["parity"][0], files) + ["--json", "--html", str(page)]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["ok"] is False and page.exists()
    assert "purchase_frequency" in page.read_text(encoding="utf-8") and "<img" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", list(CASES))
def test_missing_folder_is_a_usage_error_before_the_check(command, files, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "report.html"
    assert main(_args(CASES[command][0], files) + ["--html", str(target)]) == 2
    cap = capsys.readouterr()
    assert f"mlparity {command}: error: --html {target}: folder {target.parent} does not exist" in cap.err
    assert cap.out == "" and not target.parent.exists()      # nothing was run, nothing printed, nothing created


def test_html_path_that_is_a_folder_is_a_usage_error(files, tmp_path, capsys):
    assert main(_args(CASES["drift"][0], files) + ["--html", str(tmp_path)]) == 2
    assert "is a folder; give a file name such as report.html" in capsys.readouterr().err
