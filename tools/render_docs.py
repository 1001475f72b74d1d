"""Render the docs site from the executed notebooks into `_docs/`, then check its links.

    python tools/render_docs.py            # render, check links, print the path of index.html
    python tools/render_docs.py --check    # only check the links of an already rendered `_docs/`

The notebooks are processed by nbdev (show_doc, directives) into `_proc/`, then rendered by `quarto` when it is on
PATH, else by `smalldocs`, from the same `_quarto.yml`. smalldocs ignores the `output-file` that nbdev sets
(`00_core.ipynb` -> `core.html`), so for smalldocs the processed pages are renamed first and every link to them
rewritten: both renderers give the same URLs. Links to the published site (nbdev's links from a backticked name to
its reference entry) are made relative, so the local site is browsable offline and its links can be checked.

Steps of ours where the renderers fall short (smalldocs 0.5; they are harmless under Quarto):
- API entries (`tidy_api`, on `_proc/`): plain-text parameter comments, `None` for nbdev's inferred `NoneType`, and
  the public name of a method attached by assignment (`Profile.merge = _merge` would show `def _merge(`);
- maths (`polish`): each `\\(...\\)` snippet drawn as inline SVG by matplotlib's mathtext, and the CDN scripts
  for KaTeX/MathJax/Mermaid dropped, so the site needs no network;
- Mermaid flowcharts (a ```mermaid block in a Markdown output or a printed one): laid out and drawn as inline SVG
  by `tools/draw.py`;
- tables: numbers marked `num` (right-aligned, with their column's header), long cells `wrap`, and each table put
  in its own horizontal scroll box; `nbs/styles.css` does the rest (padding, column width, wrapped code).
"""
from __future__ import annotations
import argparse, html, json, re, shutil, subprocess, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def process():
    "nbdev's processing of nbs/ into _proc/ (without its Quarto install check)."
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    from nbdev.quarto import nbdev_sidebar
    import nbdev.doclinks
    cfg = get_config()
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=cfg.nbs_path)
    proc = ROOT / "_proc"
    if proc.exists(): shutil.rmtree(proc)
    proc_nbs(cfg.nbs_path, n_workers=2, force=True)
    sectioned_sidebar(proc / "sidebar.yml")
    tidy_api(proc)
    return proc, cfg


# The parts of the story, by chapter number: the sidebar groups the chapters under them.
# They are the parts of the README's chapter table (nbs/index.ipynb): keep the two in step.
PARTS = [(1, 9, "Part I: NovaTech"), (10, 19, "Part II: five skew bugs"), (20, 39, "Part III: prevention"),
         (40, 49, "Beyond one machine"), (50, 99, "Appendix")]


def sectioned_sidebar(path:Path):
    "Group nbdev's flat sidebar into the parts of the story (chapters 01-09, 10-19, 20-39, 40+)."
    import yaml
    d = yaml.safe_load(path.read_text())
    flat = d["website"]["sidebar"]["contents"]
    out, sections = [], {}
    for entry in flat:
        m = re.match(r"(\d+)[a-z]?_", str(entry))
        part = next((t for lo, hi, t in PARTS if m and lo <= int(m.group(1)) <= hi), None)
        if part is None: out.append(entry)
        else:
            if part not in sections:
                sections[part] = {"section": part, "contents": []}
                out.append(sections[part])
            sections[part]["contents"].append(entry)
    d["website"]["sidebar"]["contents"] = out
    path.write_text(yaml.safe_dump(d, sort_keys=False))


# ------------------------------------------------------------------ API entries (nbdev's show_doc, in _proc/)

_SHOW_DOC = re.compile(r"^(#{2,4} +(?P<name>[^\n]+)\n+```python\n)(?P<body>.*?)(\n```)", re.S | re.M)
_MD_LINK = re.compile(r"\[`?([^\]`]+?)`?\]\([^)\s]+\)")


def tidy_signature(md:str)->str:
    """An API entry as a reader should see it: parameter comments in plain text (docments comments are Markdown, and
    show_doc links names in them), `None` where nbdev infers `NoneType` from a `None` default, and the public name of
    a method attached by assignment (`Profile.merge = _merge` shows as `def _merge(`)."""
    def fix(m):
        body = _MD_LINK.sub(r"\1", m.group("body"))
        body = re.sub(r":\s*NoneType\s*=\s*None\b", "=None", body)
        body = re.sub(r"\bNoneType\b", "None", body)
        public = re.sub(r"[\\`*]", "", m.group("name")).strip().split(".")[-1].strip()
        if re.fullmatch(r"[A-Za-z]\w*", public):
            body = re.sub(r"^(\s*(?:async\s+)?(?:def|class)\s+)_\w*(\s*\()", lambda d: d.group(1) + public + d.group(2), body, count=1)
        return m.group(1) + body + m.group(4)
    return _SHOW_DOC.sub(fix, md)


def tidy_api(proc:Path):
    "`tidy_signature` on every Markdown output of the processed notebooks."
    for f in proc.rglob("*.ipynb"):
        nb, changed = json.loads(f.read_text()), False
        for c in nb["cells"]:
            for o in c.get("outputs", []):
                md = o.get("data", {}).get("text/markdown")
                if md is None: continue
                s = "".join(md) if isinstance(md, list) else md
                s2 = tidy_signature(s)
                if s2 != s: o["data"]["text/markdown"] = s2; changed = True
        if changed: f.write_text(json.dumps(nb, indent=1))


def output_names(proc:Path)->dict[str, str]:
    "Map each processed notebook to the page name its front matter asks for (`00_core.ipynb` -> `core.ipynb`)."
    names = {}
    for nb in proc.rglob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        if not cells or cells[0]["cell_type"] != "raw": continue
        m = re.search(r"^output-file:\s*(\S+)\.html\s*$", "".join(cells[0]["source"]), re.M)
        if m and m.group(1) != nb.stem: names[nb.relative_to(proc).as_posix()] = (nb.parent.relative_to(proc) / (m.group(1) + ".ipynb")).as_posix()
    return names


def apply_output_names(proc:Path, names:dict[str, str]):
    "Rename pages as `output-file` says and rewrite every reference to them (for renderers that ignore it)."
    if not names: return
    pat = re.compile(r"(?<![\w/.-])(" + "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)) + r")(?=[)#\"'\s]|$)", re.M)
    for f in list(proc.rglob("*")):
        if f.is_file() and f.suffix in (".ipynb", ".yml", ".qmd", ".md"):
            t = f.read_text()
            t2 = pat.sub(lambda m: names[m.group(1)], t)
            if t2 != t: f.write_text(t2)
    for old, new in names.items(): (proc / old).rename(proc / new)


def drop_output_file(proc:Path):
    "Remove `output-file` from the front matter once names are applied (a renderer that ignores it warns about it)."
    for f in proc.rglob("*.ipynb"):
        nb = json.loads(f.read_text())
        cells = nb["cells"]
        if cells and cells[0]["cell_type"] == "raw":
            cells[0]["source"] = [l for l in "".join(cells[0]["source"]).splitlines(True) if not l.startswith("output-file:")]
            f.write_text(json.dumps(nb, indent=1))


def render(proc:Path, cfg):
    out = ROOT / "_docs"
    if out.exists(): shutil.rmtree(out)
    if shutil.which("quarto"):
        renderer = ["quarto", "render", str(proc), "--no-execute"]
    else:
        apply_output_names(proc, output_names(proc))
        drop_output_file(proc)
        renderer = [str(Path(sys.executable).with_name("smalldocs")), "render", str(proc)]
    print("rendering with", Path(renderer[0]).name, flush=True)
    subprocess.run(renderer, check=True)
    shutil.move(str(proc / "_docs"), str(out))
    relativise(out, cfg)
    for page in out.rglob("*.html"):
        t = page.read_text()
        t2 = polish(t, page.name)
        if t2 != t: page.write_text(t2)
    copy_reports(out)
    return out


def copy_reports(out:Path, reports:Path=ROOT / "nbs" / "reports"):
    "Copy the HTML reports the chapters saved (`nbs/reports/*.html`) into `out/reports/` as they are: whole pages, linked from the chapters."
    if not reports.is_dir(): return
    (out / "reports").mkdir(exist_ok=True)
    for f in sorted(reports.glob("*.html")): shutil.copyfile(f, out / "reports" / f.name)


# ------------------------------------------------------------------ the rendered pages: what smalldocs does not do
# smalldocs (0.5) loads KaTeX and Mermaid from a CDN, marks neither numbers nor long cells in tables, and leaves
# wide HTML tables of cell outputs in the text column. These steps make the pages read well offline, for either renderer.

_CDN = re.compile(r'<(?:link|script)\b[^>]*(?:href|src)="https://cdn\.jsdelivr\.net/npm/(?:katex|mermaid|mathjax)[^"]*"[^>]*>(?:</script>)?')
_MERMAID_SCRIPT = re.compile(r'<script type="module">import mermaid from [^<]*</script>')
_MATH = re.compile(r'<span class="math (inline|display)">\\[(\[](.*?)\\[)\]]</span>', re.S)
_PRE = re.compile(r'<pre(?P<attrs>[^>]*)>(?:<code(?P<cattrs>[^>]*)>)?(?P<body>.*?)(?:</code>)?</pre>', re.S)
_FENCE = re.compile(r"^```\s*mermaid\s*\n(.*?)^```\s*$\n?", re.S | re.M)
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S)
_NUMBER = re.compile(r"[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?\s*%?|[-+]?inf")
LONG_CELL = 40   # characters: a cell longer than this wraps (and gets room), shorter cells stay on one line


def polish(page:str, name:str="page")->str:
    "Maths and Mermaid drawn as inline SVG, no CDN, classes for numbers and long cells, tables in their own scroll box."
    from draw import tex_svg, mermaid_svg, MERMAID_START
    page = _CDN.sub("", page)
    page = _MERMAID_SCRIPT.sub("", page)

    def math(m):
        try: svg = tex_svg(html.unescape(m.group(2)), display=m.group(1) == "display")
        except ValueError as e: raise SystemExit(f"{name}: {e}")
        return f'<span class="math {m.group(1)}">{svg}</span>'
    page = _MATH.sub(math, page)

    def mermaid_figure(src):
        try: return f'<div class="mermaid-figure">{mermaid_svg(src)}</div>'
        except ValueError as e: raise SystemExit(f"{name}: cannot draw a Mermaid diagram: {e}")

    def pre(m):
        attrs, body = m.group("attrs"), m.group("body")
        if "cell-code" in attrs: return m.group(0)              # a notebook's source code stays as written
        text = html.unescape(re.sub(r"<[^>]+>", "", body))
        if re.search(r'class="[^"]*\bmermaid\b', attrs): return mermaid_figure(text)
        if not (_FENCE.search(text) or MERMAID_START.match(text)): return m.group(0)
        if not _FENCE.search(text): return mermaid_figure(text)
        parts, last = [], 0                                      # Markdown around a ```mermaid block: text, picture, text
        for f in _FENCE.finditer(text):
            if text[last:f.start()].strip(): parts.append(f"<pre><code>{html.escape(text[last:f.start()].rstrip())}</code></pre>")
            parts.append(mermaid_figure(f.group(1))); last = f.end()
        if text[last:].strip(): parts.append(f"<pre><code>{html.escape(text[last:].strip())}</code></pre>")
        return "\n".join(parts)
    page = _PRE.sub(pre, page)
    page = _TABLE.sub(lambda m: table(m.group(0), page, m.start()), page)
    return page


def _add_class(attrs:str, cls:str)->str:
    if re.search(r'\bclass="', attrs): return re.sub(r'\bclass="', f'class="{cls} ', attrs, count=1)
    return attrs + f' class="{cls}"'


def table(t:str, page:str="", at:int=0)->str:
    "Numbers marked `num` (right-aligned, and their column's header too), long cells `wrap`; the table in a scroll box."
    rows = re.findall(r"<tr\b[^>]*>(.*?)</tr>", t, re.S)
    cols: dict[int, list[bool]] = {}
    spans = "colspan" in t or "rowspan" in t
    for r in rows:
        for i, (tag, _, inner) in enumerate(_CELL.findall(r)):
            text = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
            if tag == "td" and text and text not in ("NaN", "None", "<NA>", "NaT", "nan", "-", "\u2014"):
                cols.setdefault(i, []).append(bool(_NUMBER.fullmatch(text)))
    numeric_cols = {i for i, v in cols.items() if v and all(v)} if not spans else set()

    def row(m):
        i = -1
        def cell(c):
            nonlocal i
            i += 1
            tag, attrs, inner = c.groups()
            text = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
            cls = []
            if (text and _NUMBER.fullmatch(text)) or i in numeric_cols: cls.append("num")
            elif len(text) > LONG_CELL: cls.append("wrap")
            return f"<{tag}{_add_class(attrs, ' '.join(cls)) if cls else attrs}>{inner}</{tag}>"
        return _CELL.sub(cell, m.group(0))
    t = re.sub(r"<tr\b[^>]*>.*?</tr>", row, t, flags=re.S)
    if page[max(0, at - 40):at].rstrip().endswith(('<div class="sd-table">', '<div class="table-scroll">')): return t
    return f'<div class="table-scroll">{t}</div>'


def relativise(out:Path, cfg):
    "Turn absolute links into the published site into relative ones."
    base = (cfg.doc_host.rstrip("/") + "/" + cfg.doc_baseurl.strip("/") + "/").replace("//", "/").replace(":/", "://")
    for page in out.rglob("*.html"):
        depth = len(page.relative_to(out).parts) - 1
        t = page.read_text()
        t2 = t.replace(f'href="{base}', f'href="{"../" * depth}')
        if t2 != t: page.write_text(t2)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(); self.links, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a: self.ids.add(a["id"])
        if tag == "a" and a.get("name"): self.ids.add(a["name"])
        for k in ("href", "src"):
            if a.get(k): self.links.append((tag, a[k]))


def check_links(out:Path)->list[str]:
    "Every relative link and image of every page must resolve to a file, and a `#fragment` to an id on that page."
    pages, broken = {}, []
    for page in sorted(out.rglob("*.html")):
        p = _Links(); p.feed(page.read_text(errors="replace")); pages[page.resolve()] = p
    for page, p in pages.items():
        for tag, link in p.links:
            u = urlsplit(link)
            if u.scheme or link.startswith(("//", "mailto:", "javascript:")): continue
            target = (page.parent / unquote(u.path)).resolve() if u.path else page
            if target.is_dir(): target = target / "index.html"
            where = f"{page.relative_to(out.resolve())}: {tag} -> {link}"
            if not target.exists(): broken.append(where + " (no such file)")
            elif u.fragment and target.suffix == ".html" and target in pages and u.fragment not in pages[target].ids:
                broken.append(where + " (no such anchor)")
    return broken


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only check the links of the rendered _docs/")
    a = ap.parse_args(argv)
    out = ROOT / "_docs"
    if not a.check:
        proc, cfg = process()
        out = render(proc, cfg)
    if not (out / "index.html").exists():
        print(f"no rendered site at {out}: run `make docs` first", file=sys.stderr); return 2
    broken = check_links(out)
    n = len(list(out.rglob("*.html")))
    if broken:
        print(f"{len(broken)} broken link(s) in {n} pages:", *broken, sep="\n  ", file=sys.stderr); return 1
    print(f"{n} pages, every internal link resolves")
    print(f"site: {(out / 'index.html').resolve()}")
    return 0


if __name__ == "__main__": sys.exit(main())
