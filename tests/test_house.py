"""The house, floor by floor: read from the source with `ast`, the import graph of `mlparity/` has no cycle, no
module imports a module above it, and no private name crosses modules except from the ground floor and the engines.

Every import counts, also one inside a function (a lazy import is still a dependency)."""
import ast
from pathlib import Path

import pytest
from helpers import ROOT

PKG = ROOT / "mlparity"
# DESIGN.md: 1 ground, 2 engines, 3 engines elsewhere, 4 checks (and the story's own code beside them), 5 entry points
FLOORS = {
    "core": 1, "_frames": 1,
    "_parity_counts": 2, "profile": 2, "_asof": 2, "pictures": 2,
    "distributed": 3,
    "parity": 4, "drift": 4, "pointintime": 4, "validate": 4, "boundaries": 4, "configs": 4, "registry": 4,
    "windows": 4, "debt": 4,
    "feedback": 4, "checklist": 4,
    "datasets": 4, "recsys": 4, "legacy": 4, "casestudy": 4, "simulate": 4,
    "cli": 5, "monitor": 5, "logs": 5,
}
LOWER_PRIVATE_OK = {m for m, f in FLOORS.items() if f <= 2}


def modules(pkg:Path=PKG)->dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), filename=str(p)) for p in sorted(pkg.glob("*.py"))
            if p.stem not in ("__init__", "_modidx")}


def imports(tree:ast.Module, pkg_name:str="mlparity")->list[tuple[str, list[str], int]]:
    "(module imported, names imported from it, line) for every import of a sibling module, at any depth."
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1: target = mod.split(".")[0] if mod else None
            elif node.level == 0 and mod.split(".")[0] == pkg_name and "." in mod: target = mod.split(".")[1]
            elif node.level == 0 and mod == pkg_name: target = None
            else: continue
            names = [a.name for a in node.names]
            if target is None:  # `from . import parity` / `from mlparity import parity`
                for n in names: out.append((n, [], node.lineno))
            else: out.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == pkg_name and len(parts) > 1: out.append((parts[1], [], node.lineno))
    return out


def graph(mods:dict)->dict[str, set[str]]:
    return {m: {t for t, _, _ in imports(tree) if t != m} for m, tree in mods.items()}


def cycles(g:dict[str, set[str]])->list[list[str]]:
    "Every import cycle, each as a list of modules, found by depth-first search."
    found, state, stack = [], {}, []
    def visit(m):
        state[m] = "open"; stack.append(m)
        for t in sorted(g.get(m, ())):
            if state.get(t) == "open": found.append(stack[stack.index(t):] + [t])
            elif t not in state: visit(t)
        stack.pop(); state[m] = "done"
    for m in sorted(g):
        if m not in state: visit(m)
    return found


def upward(mods:dict)->list[str]:
    bad = []
    for m, tree in mods.items():
        for t, _, line in imports(tree):
            if t in FLOORS and m in FLOORS and FLOORS[t] > FLOORS[m]:
                bad.append(f"{m}.py:{line} imports {t} (floor {FLOORS[m]} imports floor {FLOORS[t]})")
    return bad


def private_crossings(mods:dict)->list[str]:
    bad = []
    for m, tree in mods.items():
        for t, names, line in imports(tree):
            if t in LOWER_PRIVATE_OK: continue
            priv = [n for n in names if n.startswith("_")]
            if priv: bad.append(f"{m}.py:{line} imports private {priv} from {t}")
    return bad


def test_every_module_has_a_floor():
    unplaced = sorted(set(modules()) - set(FLOORS))
    assert not unplaced, f"place these modules on a floor in tests/test_house.py (see DESIGN.md): {unplaced}"


def test_no_import_cycle():
    found = cycles(graph(modules()))
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_no_upward_import():
    bad = upward(modules())
    assert not bad, "\n".join(bad)


def test_no_private_name_crosses_modules():
    bad = private_crossings(modules())
    assert not bad, "\n".join(bad)


# The checks above must fail when the house is broken: build small broken packages and run them there.
def _pkg(tmp_path, files:dict)->dict:
    d = tmp_path / "mlparity"; d.mkdir()
    for name, src in files.items(): (d / f"{name}.py").write_text(src)
    return modules(d)


def test_a_loop_is_caught(tmp_path):
    mods = _pkg(tmp_path, {"parity": "from .core import Report\ndef f():\n    from .distributed import g\n",
                           "distributed": "from .parity import f\n", "core": "x = 1\n"})
    assert cycles(graph(mods)) == [["distributed", "parity", "distributed"]]


def test_an_upward_import_is_caught(tmp_path):
    mods = _pkg(tmp_path, {"core": "def f():\n    from mlparity.parity import compare_frames\n", "parity": "y = 1\n"})
    assert upward(mods) == ["core.py:2 imports parity (floor 1 imports floor 4)"]


def test_a_private_crossing_is_caught(tmp_path):
    mods = _pkg(tmp_path, {"cli": "from .parity import _prepare, compare_frames\nfrom ._frames import need_columns, _x\n",
                           "parity": "", "_frames": ""})
    assert private_crossings(mods) == ["cli.py:1 imports private ['_prepare'] from parity"]
