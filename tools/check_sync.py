"""Check that the generated files are what their sources give, without touching the work tree.

1. `nbdev_export` run on a scratch copy leaves `mlparity/` unchanged (the package is generated, never hand-edited);
2. `nbdev_clean` run on a scratch copy leaves `nbs/` unchanged (notebooks are committed clean);
3. README.md is what `tools/make_readme.py` makes of nbs/index.ipynb;
4. every notebook carries the metadata JupyterLab writes on opening (`tools/normalise_metadata.py`; the Python
   version in `language_info` is the executing environment's, so it is not compared).

Exits 1 and says what to run when any of them differs.
"""
from __future__ import annotations
import filecmp, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", ".git", "_docs", "_proc", "_site", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}


def differences(a:Path, b:Path)->list[str]:
    "Files that differ, or exist on one side only, between folders `a` and `b` (recursively)."
    out, cmp = [], filecmp.dircmp(a, b, ignore=list(SKIP))
    def walk(c, rel=""):
        out.extend(f"{rel}{n} (only before)" for n in c.left_only)
        out.extend(f"{rel}{n} (only after)" for n in c.right_only)
        out.extend(f"{rel}{n}" for n in c.diff_files)
        for n, sub in c.subdirs.items(): walk(sub, f"{rel}{n}/")
    walk(cmp)
    return out


def main():
    bindir = Path(sys.executable).parent
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp) / "repo"
        shutil.copytree(ROOT, tmp, symlinks=True, ignore=shutil.ignore_patterns(*SKIP))
        for tool, folder, fix in [("nbdev_export", "mlparity", "run `nbdev_export` and commit mlparity/"),
                                  ("nbdev_clean", "nbs", "run `nbdev_clean` and commit nbs/")]:
            r = subprocess.run([str(bindir / tool)], cwd=tmp, capture_output=True, text=True)
            if r.returncode:
                failures.append(f"{tool} failed:\n{r.stdout}{r.stderr}"); continue
            diff = differences(ROOT / folder, tmp / folder)
            if diff: failures.append(f"{tool} changes {folder}/: {', '.join(diff)}; {fix}")
            else: print(f"ok: {tool} leaves {folder}/ unchanged")
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "make_readme.py"), "--check"], capture_output=True, text=True)
    if r.returncode: failures.append(r.stderr.strip())
    else: print("ok: README.md is in sync with nbs/index.ipynb")
    import json
    sys.path.insert(0, str(ROOT / "tools"))
    from normalise_metadata import expected
    want = expected(); want["language_info"].pop("version", None)
    odd = [f.name for f in sorted((ROOT / "nbs").glob("*.ipynb"))
           if (lambda m: {"kernelspec": m.get("kernelspec"), "language_info": {k: v for k, v in (m.get("language_info") or {}).items() if k != "version"}})(json.loads(f.read_text())["metadata"]) != want]
    if odd: failures.append(f"JupyterLab would mark {', '.join(odd)} modified on opening: run tools/normalise_metadata.py and commit nbs/")
    else: print("ok: every notebook has the metadata JupyterLab writes")
    for f in failures: print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__": sys.exit(main())
