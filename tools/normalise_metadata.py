"""Give every notebook the top-level metadata that JupyterLab writes when it opens one, so it opens unmodified.

    python tools/normalise_metadata.py            # rewrite nbs/*.ipynb metadata in place (then nbdev_clean)
    python tools/normalise_metadata.py --check    # exit 1 when a notebook's metadata differs

JupyterLab sets `kernelspec` (name, display_name, language) and `language_info` (from the kernel) when a notebook
opens, and marks it modified when either differs from the file. nbdev_clean keeps `kernelspec` with its display name
set to its name (`make install` registers the venv's kernel with that display name) and keeps `language_info`
(settings.ini `allowed_metadata_keys`); executing a notebook writes the kernel's own `language_info`. Only the
notebooks' metadata is touched, never cells.
"""
from __future__ import annotations
import argparse, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"


def expected()->dict:
    "The metadata this environment's kernel gives a notebook."
    from ipykernel.ipkernel import IPythonKernel
    info = json.loads(json.dumps(IPythonKernel.language_info))
    return {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}, "language_info": info}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    want, bad = expected(), []
    for f in sorted(NBS.glob("*.ipynb")):
        nb = json.loads(f.read_text())
        if {k: nb["metadata"].get(k) for k in want} == want: continue
        bad.append(f.name)
        if not a.check:
            nb["metadata"].update(want)
            f.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    if a.check:
        if bad: print(f"{len(bad)} notebook(s) whose metadata JupyterLab would change: {', '.join(bad)}; run tools/normalise_metadata.py", file=sys.stderr)
        return 1 if bad else 0
    from nbdev.clean import nbdev_clean
    nbdev_clean.__wrapped__(fname=str(NBS))
    print(f"metadata set in {len(bad)} notebook(s)")
    return 0


if __name__ == "__main__": sys.exit(main())
