"""The rendered site in a real browser: headless Chromium measures every page (tools/site_check.py) at 1280 and 800 px.

`.ci/run` runs this file with MLPARITY_REQUIRE_BROWSER=1: there a missing browser or site is a failure, not a skip.
A screenshot of every page (1280 x 1600) is saved into `.ci/artifacts/`.
"""
import base64, os, struct, zlib
import pytest
from helpers import ROOT
import site_check
from site_check import DEFECTS, chromium_path, defects, measure

DOCS = ROOT / "_docs"
SHOTS = ROOT / ".ci" / "artifacts"
REQUIRED = os.environ.get("MLPARITY_REQUIRE_BROWSER") == "1"
no_browser = pytest.mark.skipif(not REQUIRED and chromium_path() is None, reason="no headless Chromium (`.ci/run` installs it)")
no_site = pytest.mark.skipif(not REQUIRED and not (DOCS / "index.html").exists(), reason="no rendered site in _docs/")
pytestmark = [pytest.mark.browser, no_browser]


@no_site
def test_every_page_reads_well():
    "Every page, at 1280 and 800 px: zero of every defect, and a text column of at least 768 px at 1280 px."
    pages = site_check.pages(DOCS)
    assert len(pages) >= 10, f"only {len(pages)} pages in {DOCS}"
    results = site_check.check(pages, (1280, 800), shots=SHOTS)
    print(site_check.table(results))
    bad = {f"{name} at {w} px": {k: (n, m["examples"].get(k, [])) for k, n in defects(m).items()}
           for (name, w), m in results.items() if defects(m)}
    assert not bad, "pages that are hard to read:\n" + "\n".join(f"  {p}: {d}" for p, d in bad.items())
    for p in pages: assert (SHOTS / (p.stem + ".png")).stat().st_size > 10_000, f"no screenshot of {p.name}"


@no_site
def test_index_and_chapters_have_navigation_and_figures():
    "The landing page names the two commands; a chapter has the sidebar and its figures load (PNG in the page)."
    import re
    dom = site_check.dom(DOCS / "index.html")
    assert "mlparity" in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "make docs" in dom and "make test" in dom and 'href="core.html"' in dom
    chapter = DOCS / "parity.html"
    dom = site_check.dom(chapter)
    sidebar = dom[dom.find('id="quarto-sidebar"'):]
    assert len(re.findall(r'class="[^"]*sidebar-link[^"]*"', sidebar)) >= 10, "the sidebar does not list the chapters"
    assert 'src="data:image/png;base64,' in dom, f"{chapter.name}: no figure in the DOM"


# ------------------------------------------------------------------------------------------------ the check can fail

def _png(width:int, height:int=20)->str:
    "A grey PNG of this size, as a data URI."
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) \
          + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; font: 16px sans-serif; }} main.content {{ width: {width}px; margin: 0 auto; }}
td, th {{ padding: 4px 8px; }} pre {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
</style></head><body><main class="content">{body}</main></body></html>"""
CLEAN = """<h1>A clean page</h1><p>Prose with <code>code</code>, a link <a href="#x">x</a> and maths <span class="math inline">
<svg width="10" height="10"></svg></span>.</p><table><tr><th>a</th><th>b</th></tr><tr><td>10.0</td><td>0.05</td></tr></table>
<pre><code>def compare_frames(offline, online, key):  # a long line that wraps instead of being cut at the right edge of the block</code></pre>
<div class="cell-output"><pre><code>45.3</code></pre></div><img src="{img}" width="300">"""
# one page per defect: the smallest HTML that has it
BROKEN = {
    "unpadded_cells": '<table><tr><td style="padding:0">10.0</td><td style="padding:0">10.0</td></tr></table>',
    "clipped_code": '<pre style="white-space:pre;overflow:auto;width:200px"><code>x = "a line far longer than the two hundred pixels of its box"</code></pre>',
    "overflowing_tables": '<table style="width:1400px"><tr><td>wide</td></tr></table>',
    "page_scrolls": '<div style="width:3000px">wide</div>',
    "markdown_links": "<pre><code>def f(x, # passed to [`compare_frames`](https://example.org/parity.html#compare_frames)\n):</code></pre>",
    "raw_latex": r"<p>Recall is \(|L \cap R| / |R|\).</p>",
    "mermaid_source": "<pre><code>graph TD\n    A --&gt; B</code></pre>",
    "numpy_reprs": '<div class="cell-output"><pre><code>(9.7, np.float64(1.92))</code></pre></div>',
    "private_signatures": "<pre><code>def _merge(\n    other:Profile\n)-&gt;Profile:</code></pre>",
    "nonetype": "<pre><code>def f(window:NoneType=None):</code></pre>",
    "broken_images": '<img src="no-such-figure.png" width="100" height="50">',
    "small_figures": '<img src="{img1000}" style="width:400px">',
    "narrow_column": "<p>A page whose text column is 600 px wide.</p>",
    "long_lesson": '<div style="height:10500px">a lesson that goes on and on</div><h2>How it works</h2><p>the code</p>',
    "private_in_lesson": '<p>The lesson calls <code>_prepare(df)</code> before its tool.</p><h2>How it works</h2><p><code>_prepare</code> is fine here.</p>',
}


def _write(tmp_path, name, body, width=900):
    f = tmp_path / f"{name}.html"
    f.write_text(PAGE.format(width=width, body=body.format(img=_png(300), img1000=_png(1000))))
    return f


def test_check_passes_a_clean_page(tmp_path):
    m = measure(_write(tmp_path, "clean", CLEAN))
    assert defects(m) == {}, (defects(m), m["examples"])
    assert m["width"] == 900


@pytest.mark.parametrize("defect", DEFECTS)
def test_check_finds_each_defect(tmp_path, defect):
    "A page with this one defect (beside clean content) fails the check on it."
    page = _write(tmp_path, defect, CLEAN + BROKEN[defect], width=600 if defect == "narrow_column" else 900)
    found = defects(measure(page))
    assert found.get(defect, 0) >= 1, f"{defect} not found; found {found}"
