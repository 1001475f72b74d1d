"""The rendered site in a real browser: headless Chromium loads the index and a chapter; we assert on the DOM."""
import os, re, shutil, subprocess, tempfile
from html.parser import HTMLParser
import pytest
from helpers import ROOT

DOCS = ROOT / "_docs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SHOTS = ROOT / ".ci" / "artifacts"
# CI sets MLPARITY_REQUIRE_BROWSER=1: there a missing browser or site is a failure, not a skip
REQUIRED = os.environ.get("MLPARITY_REQUIRE_BROWSER") == "1"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not REQUIRED and CHROMIUM is None, reason="no headless Chromium (`.ci/run` installs it)"),
              pytest.mark.skipif(not REQUIRED and not (DOCS / "index.html").exists(), reason="no rendered site in _docs/")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=3000"]


def chromium(*args):
    assert CHROMIUM, "no Chromium on PATH"
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)
    return r


class DOM(HTMLParser):
    "The parts of the rendered DOM the assertions need."
    def __init__(self):
        super().__init__(); self.title, self._in_title, self.nav_links, self.imgs, self._nav = "", False, [], [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title": self._in_title = True
        if tag in ("nav",) or "sidebar" in (a.get("id") or "") or "navbar" in (a.get("class") or ""): self._nav += 1
        if tag == "a" and self._nav and a.get("href"): self.nav_links.append(a["href"])
        if tag == "img": self.imgs.append(a.get("src", ""))
    def handle_endtag(self, tag):
        if tag == "title": self._in_title = False
    def handle_data(self, d):
        if self._in_title: self.title += d


def dom_of(page):
    r = chromium("--dump-dom", page.as_uri())
    assert r.returncode == 0 and "<html" in r.stdout, r.stderr[-2000:]
    d = DOM(); d.feed(r.stdout); return d, r.stdout


def test_index_page_in_chromium():
    d, html = dom_of(DOCS / "index.html")
    assert "mlparity" in d.title
    assert any(h.endswith("core.html") for h in d.nav_links), d.nav_links
    assert "make docs" in html and "make test" in html
    SHOTS.mkdir(parents=True, exist_ok=True)
    r = chromium(f"--screenshot={SHOTS / 'index.png'}", "--window-size=1280,1600", (DOCS / "index.html").as_uri())
    assert (SHOTS / "index.png").stat().st_size > 10_000, r.stderr[-1000:]


def test_chapter_page_in_chromium():
    "A chapter page renders in the browser with its navigation and its figures (PNG images)."
    pages = sorted(p for p in DOCS.glob("*.html") if p.name != "index.html" and "<img" in p.read_text())
    assert pages, "no chapter page of the site has a figure"
    chapter = DOCS / "parity.html" if (DOCS / "parity.html") in pages else pages[0]
    d, html = dom_of(chapter)
    assert d.title.strip() and "mlparity" in d.title
    assert len(d.nav_links) >= 10, d.nav_links          # the sidebar lists every chapter
    assert any(src.startswith("data:image/png;base64,") for src in d.imgs), f"{chapter.name}: no figure in the DOM"
    SHOTS.mkdir(parents=True, exist_ok=True)
    chromium(f"--screenshot={SHOTS / 'chapter.png'}", "--window-size=1280,1600", chapter.as_uri())
    assert (SHOTS / "chapter.png").stat().st_size > 10_000
