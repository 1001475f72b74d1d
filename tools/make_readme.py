"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto; this needs nothing).

    python tools/make_readme.py           # write README.md
    python tools/make_readme.py --check   # exit 1 if README.md is not what index.ipynb gives

The README starts with the title and the two commands; then the rest of the index page in order. Cells marked
`#| hide` (and the parameters cell) are left out; code cells show their source and their text output; links to
other notebooks become links to the published site.
"""
from __future__ import annotations
import argparse, configparser, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def site_url()->str:
    c = configparser.ConfigParser(); c.read(ROOT / "settings.ini")
    d = c["DEFAULT"]
    return d["doc_host"].rstrip("/") + "/" + d["doc_baseurl"].strip("/") + "/"


def page_of(nb:str)->str:
    "The page name nbdev gives a notebook: the number prefix dropped (`00_core.ipynb` -> `core.html`)."
    return re.sub(r"^\d+[a-z]?_", "", Path(nb).stem) + ".html"


def _text(c): return "".join(c["source"])


def readme(index:Path=ROOT / "nbs" / "index.ipynb")->str:
    cells = json.loads(index.read_text())["cells"]
    url = site_url()
    blocks = []
    for c in cells:
        src = _text(c).strip()
        if not src: continue
        if c["cell_type"] == "markdown":
            blocks.append(re.sub(r"\]\((?!https?:)([^)#\s]+)\.ipynb(#[^)]*)?\)",
                                 lambda m: f"]({url}{page_of(m.group(1))}{m.group(2) or ''})", src))
        elif c["cell_type"] == "code":
            if re.search(r"^#\|\s*hide\b", src, re.M) or "parameters" in c.get("metadata", {}).get("tags", []): continue
            code = "\n".join(l for l in src.splitlines() if not l.startswith("#|")).strip()
            blocks.append(f"```python\n{code}\n```")
            for o in c.get("outputs", []):
                txt = o.get("text") or o.get("data", {}).get("text/plain")
                if txt: blocks.append("```\n" + "".join(txt).rstrip() + "\n```")
    # title first, then the two commands, then the summary and the rest
    title, _, summary = blocks[0].partition("\n")
    cmds = next(i for i, b in enumerate(blocks) if "make docs" in b and "make test" in b)
    first = [title, blocks[cmds].split("\n\n")[0]]
    rest = [summary.strip()] + [b for i, b in enumerate(blocks) if i not in (0, cmds)]
    rest.insert(1, "\n\n".join(blocks[cmds].split("\n\n")[1:]))
    body = "\n\n".join(b for b in first + rest if b.strip())
    return body + "\n\n<!-- This file is generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook. -->\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    text, path = readme(), ROOT / "README.md"
    if a.check:
        if path.read_text() != text:
            print("README.md is out of date with nbs/index.ipynb: run `make readme` and commit it", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__": sys.exit(main())
