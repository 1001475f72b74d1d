"""The seed map (nbs/50_seed_map.ipynb) stays true: every chapter it names exists, every check it names imports,
and every item of every seed is placed."""
import csv, importlib, re
from dataclasses import dataclass
import pytest
from helpers import NBS, load_nb

NB = NBS / "50_seed_map.ipynb"


def seed_map():
    "The `SEED_MAP` rows, built by running the notebook's dataclass cell and its reader on `nbs/seed_map.csv`."
    cells = ["".join(c["source"]) for c in load_nb(NB)["cells"] if c["cell_type"] == "code"]
    ns = {"dataclass": dataclass, "csv": csv}
    for marker in ("class SeedItem", "def read_seed_map"):
        src = [s for s in cells if marker in s]
        assert len(src) == 1, f"expected one cell of {NB.name} with {marker!r}, found {len(src)}"
        exec(src[0].split("SEED_MAP = ")[0], ns)
    return ns["read_seed_map"](NBS / "seed_map.csv")


ROWS = seed_map()


def test_map_is_not_empty_and_items_are_unique():
    assert len(ROWS) > 90
    keys = [(r.seed, r.item) for r in ROWS]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]


@pytest.mark.parametrize("chapter", sorted({r.chapter for r in ROWS if r.chapter}))
def test_every_chapter_named_exists(chapter):
    assert (NBS / f"{chapter}.ipynb").is_file(), f"the seed map names chapter {chapter!r}, but nbs/{chapter}.ipynb does not exist"


@pytest.mark.parametrize("check", sorted({r.check for r in ROWS if r.check}))
def test_every_check_named_imports_from_mlparity(check):
    assert check.startswith("mlparity."), check
    mod, name = check.rsplit(".", 1)
    assert hasattr(importlib.import_module(mod), name), f"{check} is named in the seed map but {mod} has no {name!r}"


def test_statuses_are_the_allowed_words():
    for r in ROWS:
        assert r.seed in {"000", "001", "002", "003", "004"}, r
        assert r.reproduced in {"yes", "partly", "no"}, r
        assert r.fixed in {"yes", "partly", "no", "n/a"}, r
        assert r.regression_tested in {"yes", "partly", "no", "n/a"}, r


def test_an_item_not_reproduced_names_no_check_it_does_not_have_and_says_why():
    for r in ROWS:
        if r.reproduced == "no":
            assert r.note, f"{r.seed} {r.item} is not reproduced and has no note saying why"
        if r.chapter is None:
            assert r.reproduced == "no" and r.check is None, r


def items(seed, pattern):
    return sorted(r.item for r in ROWS if r.seed == seed and re.fullmatch(pattern, r.item))


def test_every_item_of_seed_000_is_placed():
    assert items("000", r"debt item \d+") == sorted(f"debt item {i}" for i in range(1, 15))
    assert items("000", r"warning sign \d") == [f"warning sign {i}" for i in range(1, 6)]
    assert items("000", r"question \d") == [f"question {i}" for i in range(1, 6)]
    assert items("000", r"weeks? [\d-]+") == sorted(["week 1", "week 2", "weeks 3-4", "weeks 5-6", "weeks 7-8"])
    assert items("000", r"prevention \d") == ["prevention 1", "prevention 2", "prevention 3"]


def test_every_bug_and_decoy_of_seed_001_is_placed():
    assert items("001", r"bug \d") == [f"bug {i}" for i in range(1, 6)]
    for bug, n in {1: 3, 2: 3, 3: 4, 4: 3, 5: 3}.items():
        assert items("001", rf"bug {bug} decoy \d") == [f"bug {bug} decoy {i}" for i in range(1, n + 1)]


def test_every_register_item_of_seed_002_is_placed():
    expected = ["BE-001", "BE-002", "EN-001", "EN-002", "EN-003", "FL-001", "FL-002", "FL-003", "DD-001", "DD-002",
                "PD-001", "PD-002", "CD-001", "CD-002", "MS-001"]
    assert items("002", r"[A-Z]{2}-\d{3}") == sorted(expected)


def test_every_pattern_and_anti_pattern_of_seed_004_is_placed():
    assert items("004", r"pattern \d+") == sorted(f"pattern {i}" for i in range(1, 13))
    assert items("004", r"anti-pattern \d") == [f"anti-pattern {i}" for i in range(1, 7)]
    assert items("004", r"checklist") == ["checklist"]


def test_seed_003_figures_are_placed():
    placed = {r.item for r in ROWS if r.seed == "003"}
    assert {"echo chamber", "parity gap", "cold start / coverage", "70 % coverage", "schema evolution"} <= placed
