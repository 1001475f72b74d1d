"""The docs cannot drift from the code: checked outputs, the README and the site's links."""
import json, shutil, subprocess, sys
import pytest
from helpers import ROOT, NBS, load_nb
import render_docs, make_readme


def _checked_cells(nb):
    return [c for c in nb["cells"] if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.slow
def test_changing_a_story_number_without_rerunning_fails(tmp_path):
    "nbval compares the committed output of a checked cell with a fresh run: edit the code, keep the output, fail."
    nb = load_nb(NBS / "00_core.ipynb")
    i, cell = next((i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and "3.0x" in "".join(c["source"]))
    cell["source"] = [s.replace("3.0x", "2.5x") for s in cell["source"]]
    # the chapter up to the first checked cell from there on: `make test` runs no notebook whole a third time
    last = next(j for j in range(i, len(nb["cells"])) if nb["cells"][j] in _checked_cells(nb))
    nb["cells"] = nb["cells"][:last + 1]
    for name in ("00_core.ipynb",):
        (tmp_path / name).write_text(json.dumps(nb))
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    r = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider",
                        str(tmp_path / "00_core.ipynb")], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1, r.stdout[-2000:]
    assert "Cell outputs differ" in r.stdout and "2.5x" in r.stdout


def test_every_chapter_marks_checked_outputs():
    "Each chapter with results marks at least one cell whose output nbval compares."
    for nb_path in sorted(NBS.glob("[0-9]*.ipynb")):
        assert _checked_cells(load_nb(nb_path)), f"{nb_path.name} marks no cell `nbval-check-output`"


def test_readme_is_generated_from_index():
    text = make_readme.readme()
    assert (ROOT / "README.md").read_text() == text, "README.md is stale: run `make readme`"
    first = text.splitlines()[:6]
    assert first[0] == "# mlparity" and any(l.startswith("make docs") for l in first) and any(l.startswith("make test") for l in first)


def test_link_checker_finds_broken_links(tmp_path):
    "The site check must be able to fail: a missing page and a missing anchor are both reported."
    (tmp_path / "index.html").write_text('<a href="core.html#report">x</a><a href="gone.html">y</a><a href="https://x.org/a">z</a>')
    (tmp_path / "core.html").write_text('<h2 id="finding">Finding</h2><a href="index.html">home</a>')
    broken = render_docs.check_links(tmp_path)
    assert len(broken) == 2
    assert any("gone.html (no such file)" in b for b in broken) and any("#report (no such anchor)" in b for b in broken)


def test_rendered_site_links_resolve():
    "The site `make test` rendered before pytest has no broken internal link."
    docs = ROOT / "_docs"
    if not (docs / "index.html").exists(): pytest.skip("no rendered site: `make test` renders it before pytest")
    assert render_docs.check_links(docs) == []
    pages = {p.name for p in docs.glob("*.html")}
    expected = {make_readme.page_of(p.name) for p in NBS.glob("*.ipynb")}
    assert expected <= pages, f"pages missing from the site: {sorted(expected - pages)}"


# ------------------------------------------------------------------ the render steps smalldocs lacks (tools/render_docs.py)

SHOW_DOC = ("---\n\n[source](https://github.com/x/y/blob/main/mlparity/drift.py#L99){target=\"_blank\"}\n\n### Profile.merge\n\n"
            "```python\ndef _merge(\n    other:Profile, # passed to [`drift_report`](https://mlparity.github.io/mlparity/drift.html#drift_report)\n"
            "    window:NoneType=None, # a [window](windows.html)\n    stream:NoneType | int=3,\n)->Profile:\n```\n\n"
            "*The union of [`Profile`](https://mlparity.github.io/mlparity/drift.html#profile)s.*")


def test_api_entries_show_public_names_plain_comments_and_none():
    out = render_docs.tidy_signature(SHOW_DOC)
    sig = out.split("```python\n")[1].split("```")[0]
    assert sig.startswith("def merge(\n"), sig                              # the public name, not `_merge`
    assert "# passed to drift_report\n" in sig and "# a window\n" in sig      # plain-text comments
    assert "window=None," in sig and "stream:None | int=3" in sig and "NoneType" not in sig
    assert "[`Profile`](https://mlparity.github.io/mlparity/drift.html#profile)" in out   # prose keeps its links
    assert render_docs.tidy_signature("### _private\n\n```python\ndef _private(x):\n```") .count("def _private(") == 1


def test_maths_mermaid_and_tables_are_drawn_at_build_time():
    page = ('<head><link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/katex.min.css">'
            '<script src="https://cdn.jsdelivr.net/npm/katex@0.16.11/dist/katex.min.js" defer></script></head>'
            r'<p>Recall is <span class="math inline">\(|L \cap R| / |R| \le 1\)</span>.</p>'
            '<pre class="mermaid">graph TD\n    A["A-1&lt;br/&gt;first"] --&gt;|"feeds"| B\n    style A fill:#ff6666\n</pre>'
            '<div class="cell-output"><pre><code># Register\n\n```mermaid\ngraph TD\n    X --&gt; Y\n```\n\nafter</code></pre></div>'
            '<pre class="sourceCode python cell-code"><code>lines = ["graph TD"]</code></pre>'
            '<table class="dataframe"><thead><tr><th>name</th><th>rate</th></tr></thead><tbody>'
            '<tr><td>a</td><td>0.05</td></tr><tr><td>b</td><td>NaN</td></tr><tr><td>' + "x" * 50 + '</td><td>1,200</td></tr></tbody></table>')
    out = render_docs.polish(page)
    assert "cdn.jsdelivr" not in out and "\\(" not in out and "\\cap" not in out.split("<svg")[0]
    assert out.count('<div class="mermaid-figure"><svg') == 2 and "feeds" in out and "#ff6666" in out
    assert "# Register" in out and "after" in out and "```mermaid" not in out      # the text around the diagram stays
    assert 'lines = ["graph TD"]' in out                                          # source code is left as written
    assert '<div class="table-scroll"><table' in out
    assert '<th class="num">rate</th>' in out and '<td class="num">NaN</td>' in out and '<td class="num">1,200</td>' in out
    assert '<td class="wrap">' + "x" * 50 in out and "<td>a</td>" in out


def test_a_mermaid_flowchart_is_laid_out_in_layers():
    import draw
    g = draw.parse_mermaid('graph TD\n  A["A<br/>one"] -->|"x"| B\n  B --> C\n  A --> C\n  D["alone"]\n  style C fill:#ffcc99')
    assert list(g.nodes) == ["A", "B", "C", "D"] and g.nodes["A"].lines == ["A", "one"] and g.nodes["C"].fill == "#ffcc99"
    assert g.edges == [("A", "B", "x"), ("B", "C", ""), ("A", "C", "")]
    svg = draw.mermaid_svg("graph TD\n  A --> B\n  B --> C\n  A --> C")
    ys = {t: float(y) for y, t in __import__("re").findall(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>(\w)</text>', svg)}
    assert ys["A"] < ys["B"] < ys["C"], ys                                        # a layer per step of the longest path
    with pytest.raises(ValueError, match="cannot draw the maths"): draw.tex_svg(r"\notacommand{x}")


def test_split_stream_outputs_are_joined():
    import execute_nbs
    outs = [{"output_type": "stream", "name": "stdout", "text": ["a\n", "b"]}, {"output_type": "stream", "name": "stdout", "text": ["c\n"]},
            {"output_type": "stream", "name": "stderr", "text": ["e\n"]}, {"output_type": "stream", "name": "stdout", "text": ["d\n"]}]
    assert execute_nbs.merge_streams(outs) == [{"output_type": "stream", "name": "stdout", "text": ["a\n", "bc\n"]},
                                               {"output_type": "stream", "name": "stderr", "text": ["e\n"]},
                                               {"output_type": "stream", "name": "stdout", "text": ["d\n"]}]


def test_rendered_site_loads_nothing_from_the_network():
    "Every script, stylesheet and image of the rendered site is local (or inline): the site reads offline."
    import re
    docs = ROOT / "_docs"
    if not (docs / "index.html").exists(): pytest.skip("no rendered site: `make test` renders it before pytest")
    remote = {p.name: re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?://[^"]+)"', p.read_text())
              for p in docs.glob("*.html")}
    remote = {k: v for k, v in remote.items() if v}
    assert not remote, remote


def test_readme_chapter_table_and_sidebar_agree():
    "Each chapter sits under the same part in the README's chapter table and in the site's sidebar (render_docs.PARTS)."
    import re
    part, readme = None, {}
    for line in (ROOT / "README.md").read_text().splitlines():
        if m := re.match(r"\|\s*\|\s*\*\*(.+?)\*\*", line): part = m.group(1)
        elif m := re.match(r"\|\s*(\d\d)\s*\|", line): readme[int(m.group(1))] = part
    assert readme, "no chapter table in README.md"
    sidebar = {n: next((t for lo, hi, t in render_docs.PARTS if lo <= n <= hi), None) for n in readme}
    assert readme == sidebar, {n: (readme[n], sidebar[n]) for n in readme if readme[n] != sidebar[n]}


def _imports_with_code(nb)->list[int]:
    """Code cells that nbdev's docs build would run (they import something) and that hold other code too: nbdev warns
    "Found cells containing imports and other code" for each, and runs their code outside the notebook's namespace."""
    import ast, re
    out = []
    for i, c in enumerate(nb["cells"]):
        src = "".join(c["source"])
        if c["cell_type"] != "code" or re.search(r"^#\|\s*(exports?|exporti|exec_doc)\b|^#\|\s*eval:\s*false", src, re.M | re.I):
            continue
        try: nodes = list(ast.walk(ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))))
        except SyntaxError: continue
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes) and any(isinstance(n, (ast.Expr, ast.Assign)) for n in nodes):
            out.append(i)
    return out


def test_imports_sit_in_cells_of_their_own():
    "`make docs` prints no warning: no notebook mixes imports with other code in one cell (nbdev's rule)."
    bad = {p.name: cells for p in sorted(NBS.glob("*.ipynb")) if (cells := _imports_with_code(load_nb(p)))}
    assert not bad, f"cells that mix imports with other code (split them): {bad}"
    mixed = {"cells": [{"cell_type": "code", "source": "import pandas as pd\npd.set_option('display.width', 80)"}]}
    assert _imports_with_code(mixed) == [0]
