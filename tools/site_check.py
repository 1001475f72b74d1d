"""Measure every page of the rendered site in headless Chromium and list what makes it hard to read.

    python tools/site_check.py                 # every page of _docs/ at 1280 px and 800 px; exit 1 on any defect
    python tools/site_check.py parity.html     # some pages
    python tools/site_check.py --shots DIR     # also save a screenshot of each page (1280 x 1600) into DIR

One headless Chromium is started per process and driven over the DevTools protocol on a pipe (`Browser`: no
network port, no driver, only the `chromium` binary). Each page is loaded once: the measuring script runs at
1280 px, the window is resized to 800 px and it runs again, and the screenshot is taken at the first width.

What counts as a defect (each is a count per page; the text column's width is a number):
- `unpadded_cells`     table cells with less than 4 px of horizontal padding (numbers run together)
- `clipped_code`       `pre` blocks whose text is wider than the block (cut at the right edge or scrolled away)
- `overflowing_tables` tables wider than the text column that are not inside their own scrolling box
- `page_scrolls`       1 when the whole page is wider than the window
- `markdown_links`     raw Markdown links `[text](url)` shown as text (outside the notebooks' source code)
- `raw_latex`          LaTeX shown as text (`\\sum`, `\\(`, ...) or a maths element not drawn as a picture
- `mermaid_source`     Mermaid source shown as text instead of a diagram
- `numpy_reprs`        `np.float64(...)`-style reprs in outputs
- `private_signatures` API signatures of private names (`def _merge(`)
- `nonetype`           `NoneType` shown (an annotation nbdev infers from a `None` default)
- `broken_images`      images that did not load
- `small_figures`      figures drawn at less than 65 % of their size: matplotlib's 10 pt tick labels at 100 dpi
                       (14 px) then fall under 9 px
- `narrow_column`      1 when the text column is narrower than 768 px in a 1280 px window (60 % of the window)
- `long_lesson`        1 when the part of a chapter before its "How it works" heading is taller than 10,000 px at
                       1280 px (the lesson must read on its own; the machinery comes after the heading)
- `private_in_lesson`  `_private` names (helpers, private modules) shown before the "How it works" heading, in prose
                       or in code: the lesson uses the public API only
"""
from __future__ import annotations
import argparse, atexit, base64, html, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "_docs"
MIN_COLUMN = 768          # px of text column in a 1280 px window
MIN_FIGURE_SCALE = 0.65   # rendered width / natural width of a figure
MAX_LESSON = 10_000       # px of a chapter before its "How it works" heading, at 1280 px
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--mute-audio",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--virtual-time-budget=5000"]
DEFECTS = ["unpadded_cells", "clipped_code", "overflowing_tables", "page_scrolls", "markdown_links", "raw_latex",
           "mermaid_source", "numpy_reprs", "private_signatures", "nonetype", "broken_images", "small_figures",
           "narrow_column", "long_lesson", "private_in_lesson"]

# A function evaluated in the loaded page; returns {defect: count, "examples": {defect: [...]}, "width": px} as JSON.
MEASURE_JS = r"""
(function(){
  const main = document.querySelector('main.content') || document.querySelector('main') || document.body;
  const ms = getComputedStyle(main), mr = main.getBoundingClientRect();
  const colL = mr.left + parseFloat(ms.paddingLeft), colR = mr.right - parseFloat(ms.paddingRight);
  const out = {width: Math.round(colR - colL), window: window.innerWidth, examples: {}};
  const add = (k, ex) => { out[k] = (out[k] || 0) + 1; const e = out.examples[k] = out.examples[k] || [];
                           if (e.length < 3) e.push(String(ex).replace(/\s+/g, ' ').slice(0, 160)); };
  const isSource = el => !!(el.closest && el.closest('pre.cell-code, .cell-code, script, style, svg'));
  // text nodes of the page's text, without the notebooks' source code
  const texts = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) if (!isSource(n.parentElement)) texts.push(n);
  // whole blocks of shown text: each pre (outputs, signatures) and each paragraph-level element
  const blocks = [...main.querySelectorAll('pre, p, li, td, th, h1, h2, h3, h4, dd, dt, blockquote, figcaption')]
                   .filter(el => !isSource(el) && !el.querySelector('p, li, td, pre'));
  for (const td of main.querySelectorAll('td, th')) {
    const s = getComputedStyle(td);
    if (parseFloat(s.paddingLeft) + parseFloat(s.paddingRight) < 4) add('unpadded_cells', td.textContent);
  }
  for (const pre of main.querySelectorAll('pre')) {
    if (pre.scrollWidth > pre.clientWidth + 1) add('clipped_code', pre.textContent.split('\n').sort((a, b) => b.length - a.length)[0]);
  }
  for (const t of main.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    if (r.right <= colR + 1 && r.left >= colL - 1) continue;
    let boxed = false;
    for (let a = t.parentElement; a && a !== main; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX, ar = a.getBoundingClientRect();
      if ((ox === 'auto' || ox === 'scroll') && ar.right <= colR + 1 && ar.left >= colL - 1) { boxed = true; break; }
    }
    if (!boxed) add('overflowing_tables', t.textContent.slice(0, 80));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) add('page_scrolls', document.documentElement.scrollWidth + ' px');
  const md = /\[[^\]\n]{1,200}\]\((?:https?:|\.{0,2}\/|#|[\w.-]+\.(?:html|ipynb|md)\b)[^)\s]*\)/;
  const tex = /\\[()[\]]|\\(?:frac|sum|prod|int|le|leq|ge|geq|cap|cup|log|min|max|in|notin|alpha|beta|gamma|delta|sigma|mu|lambda|theta|times|cdot|sqrt|mathrm|mathbf|text|left|right|quad|infty|approx|neq)\b/;
  const mer = /^\s*(?:(?:graph|flowchart)\s+(?:TD|TB|BT|LR|RL)\b|```\s*mermaid\b)/m;
  const npr = /\bnp\.(?:float|int|uint|bool|str|complex|datetime64|timedelta64|void|object)\w*\(/;
  const priv = /(?:^|\n)\s*(?:async\s+)?(?:def|class)\s+_\w*\s*\(/;
  for (const b of blocks) {
    const s = b.textContent;
    if (md.test(s)) add('markdown_links', s.match(md)[0]);
    if (b.tagName !== 'PRE' && !b.closest('code') && tex.test(s)) add('raw_latex', s.match(tex)[0] + ' in: ' + s);
    if (mer.test(s)) add('mermaid_source', s.match(mer)[0]);
    if (npr.test(s)) add('numpy_reprs', s.match(npr)[0] + ' in: ' + s);
    if (b.tagName === 'PRE' && priv.test(s)) add('private_signatures', s.match(priv)[0]);
    if (/\bNoneType\b/.test(s)) add('nonetype', s);
  }
  for (const m of main.querySelectorAll('.math, pre.mermaid')) {
    if (m.matches('pre.mermaid')) { if (!m.querySelector('svg')) add('mermaid_source', m.textContent); }
    else if (!m.querySelector('svg, img, .katex, mjx-container')) add('raw_latex', m.textContent);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) { add('broken_images', (img.getAttribute('src') || '').slice(0, 60)); continue; }
    if (!main.contains(img) || img.naturalWidth < 200) continue;
    const scale = img.getBoundingClientRect().width / img.naturalWidth;
    if (scale < %(scale)s) add('small_figures', `${img.naturalWidth} px drawn at ${Math.round(img.getBoundingClientRect().width)} px (${Math.round(scale * 100)} %%)`);
  }
  if (window.innerWidth >= 1280 && out.width < %(column)s) add('narrow_column', out.width + ' px');
  // the lesson: what comes before the "How it works" heading (pages without one have no lesson/reference split)
  const how = [...main.querySelectorAll('h2')].find(h => /^\s*How it works\b/i.test(h.textContent));
  if (how) {
    const top = (document.querySelector('#title-block-header, header') || main).getBoundingClientRect().top;
    out.lesson = Math.round(how.getBoundingClientRect().top - top);
    const privname = /(?:^|[^\w])(_[a-z][a-z0-9]*(?:_[a-z0-9]+)*)\b(?!_)/g;
    const all = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    let before = '';   // the text just before this node: `events_6h` split across two elements is one name
    for (let n; (n = all.nextNode());) {
      if (!(n.compareDocumentPosition(how) & Node.DOCUMENT_POSITION_FOLLOWING)) break;
      if (n.parentElement.closest('script, style, svg, span.st, span.ss')) continue;   // not in string literals
      const t = n.textContent;
      for (const m of t.matchAll(privname)) {
        if (m.index === 0 && m[0].startsWith('_') && /\w$/.test(before)) continue;
        add('private_in_lesson', m[1] + ' in: ' + t.slice(0, 100));
      }
      if (t.length) before = t;
    }
  }
  return JSON.stringify(out);
})
""" % {"scale": MIN_FIGURE_SCALE, "column": MIN_COLUMN, "lesson": MAX_LESSON}


def chromium_path()->str|None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def chromium(*args, timeout=120)->subprocess.CompletedProcess:
    exe = chromium_path()
    if exe is None: raise RuntimeError("no headless Chromium on PATH (Debian: `apt-get install chromium`)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=timeout)


class Browser:
    """One headless Chromium, driven over the DevTools protocol on a pipe (Chromium reads commands on fd 3 and writes
    replies on fd 4, each a JSON text ended by a NUL byte). Loading a page in a running browser costs a fraction of a
    launch, so the whole site is measured by one process."""
    def __init__(self, timeout:float=120):
        exe = chromium_path()
        if exe is None: raise RuntimeError("no headless Chromium on PATH (Debian: `apt-get install chromium`)")
        self.timeout, self.profile = timeout, tempfile.mkdtemp(prefix="mlparity-chromium-")
        to_r, to_w = os.pipe(); from_r, from_w = os.pipe()
        def fds(): os.dup2(to_r, 3); os.dup2(from_w, 4)
        flags = [f for f in FLAGS if not f.startswith("--virtual-time-budget")]
        self.proc = subprocess.Popen([exe, *flags, "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     pass_fds=(3, 4), preexec_fn=fds)
        os.close(to_r); os.close(from_w)
        self.w, self.r = os.fdopen(to_w, "wb", buffering=0), os.fdopen(from_r, "rb", buffering=0)
        self.buf, self.n, self.events = b"", 0, []

    def _read(self)->dict:
        while b"\0" not in self.buf:
            chunk = self.r.read(1 << 16)
            if not chunk: raise RuntimeError(f"Chromium closed its DevTools pipe (exit {self.proc.poll()})")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method:str, session:str|None=None, **params)->dict:
        "Send one DevTools command and return its result (events that arrive meanwhile are kept for `wait`)."
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params} | ({"sessionId": session} if session else {})
        self.w.write(json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.n:
                if "error" in m: raise RuntimeError(f"Chromium: {method}: {m['error'].get('message')}")
                return m.get("result", {})
            self.events.append(m)

    def wait(self, event:str, session:str):
        "Wait for `event` in this tab's session."
        t0 = time.monotonic()
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == event and m.get("sessionId") == session: return self.events.pop(i)
            if time.monotonic() - t0 > self.timeout: raise TimeoutError(f"Chromium: no {event} in {self.timeout} s")
            self.events.append(self._read())

    def visit(self, url:str, steps):
        """Open `url` in a new tab and call `steps(tab)` once it has loaded, where `tab(method, **params)` sends a command
        to that tab. Returns what `steps` returns; the tab is closed after."""
        tid = self.send("Target.createTarget", url="about:blank")["targetId"]
        s = self.send("Target.attachToTarget", targetId=tid, flatten=True)["sessionId"]
        tab = lambda method, **params: self.send(method, s, **params)
        try:
            tab("Page.enable")
            tab("Page.navigate", url=url)
            self.wait("Page.loadEventFired", s)
            return steps(tab)
        finally:
            self.send("Target.closeTarget", targetId=tid)
            self.events = [m for m in self.events if m.get("sessionId") != s]

    def close(self):
        try: self.send("Browser.close")
        except Exception: pass
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


_BROWSER = None
def browser()->Browser:
    "This process's browser, started on first use and closed when the process exits."
    global _BROWSER
    if _BROWSER is None or _BROWSER.proc.poll() is not None:
        _BROWSER = Browser(); atexit.register(_BROWSER.close)
    return _BROWSER


def evaluate(tab, script:str):
    "The value of `script` (an expression; a promise is awaited) in the tab."
    r = tab("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
    if "exceptionDetails" in r: raise RuntimeError(f"script failed: {r['exceptionDetails'].get('exception', r['exceptionDetails'])}")
    return r["result"].get("value")


SETTLE = "new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"


def measure_widths(page:Path, widths=(1280, 800), height:int=1600, shot:Path|None=None)->dict:
    """Load `page` once and measure it at each width (the window is resized between measurements): {width: measurement},
    each a count per defect, `width` and `examples`. With `shot`, a screenshot at the first width is saved there."""
    page = Path(page)
    def steps(tab):
        out = {}
        for i, w in enumerate(widths):
            tab("Emulation.setDeviceMetricsOverride", width=w, height=height, deviceScaleFactor=1, mobile=False)
            evaluate(tab, SETTLE)
            m = json.loads(evaluate(tab, f"({MEASURE_JS})()"))
            if w >= 1280 and m.get("lesson", 0) > MAX_LESSON:
                m["long_lesson"] = 1
                m["examples"]["long_lesson"] = [f"{m['lesson']} px before How it works (at most {MAX_LESSON:,})"]
            if i == 0 and shot is not None:
                shot.parent.mkdir(parents=True, exist_ok=True)
                shot.write_bytes(base64.b64decode(tab("Page.captureScreenshot", format="png")["data"]))
            out[w] = m
        return out
    return browser().visit(page.resolve().as_uri(), steps)


def load(page_or_url, script:str, width:int=1280, height:int=1600):
    "Load a page (a path or a URL) at this window size and return the value of `script` evaluated in it once loaded."
    url = page_or_url if isinstance(page_or_url, str) else Path(page_or_url).resolve().as_uri()
    def steps(tab):
        tab("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        evaluate(tab, SETTLE)
        return evaluate(tab, script)
    return browser().visit(url, steps)


def dom(page_or_url, width:int=1280)->str:
    "The page's DOM as HTML once loaded (what `chromium --dump-dom` prints)."
    return load(page_or_url, "document.documentElement.outerHTML", width)


def measure(page:Path, width:int=1280, height:int=1600, shot:Path|None=None)->dict:
    """Load `page` in Chromium at `width` px and return its measurements: a count per defect, `width` and `examples`.
    With `shot`, a screenshot of the window is saved there."""
    return measure_widths(page, (width,), height, shot)[width]


def defects(m:dict)->dict[str, int]:
    "The defects of one measurement that are not zero."
    return {k: m[k] for k in DEFECTS if m.get(k)}


def pages(docs:Path=DOCS, names=())->list[Path]:
    if names: return [docs / n for n in names]
    return sorted(p for p in docs.glob("*.html") if not p.name.startswith("."))


def check(pages_:list[Path], widths=(1280, 800), shots:Path|None=None, progress=None)->dict:
    "Measure every page at every width (and screenshot it at the first width into `shots`): {(page name, width): measurement}."
    out = {}
    for p in pages_:
        for w, m in measure_widths(p, widths, shot=shots / (p.stem + ".png") if shots is not None else None).items():
            out[(p.name, w)] = m
        if progress: progress(p.name)
    return out


def table(results:dict)->str:
    "One line per page and width: the text column's width and each defect's count."
    short = {k: k.split("_")[0][:5] + "_" + (k.split("_") + [""])[1][:4] for k in DEFECTS}
    head = f"{'page':<22}{'width':>6}{'column':>8}  " + " ".join(f"{short[k]:>10}" for k in DEFECTS)
    lines = [head]
    for (name, w), m in results.items():
        lines.append(f"{name:<22}{w:>6}{m['width']:>8}  " + " ".join(f"{m.get(k, 0):>10}" for k in DEFECTS))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="pages of _docs/ (default: all)")
    ap.add_argument("--docs", type=Path, default=DOCS)
    ap.add_argument("--shots", type=Path, help="save a 1280 px screenshot of each page here")
    ap.add_argument("--width", type=int, action="append", help="window widths (default: 1280 and 800)")
    ap.add_argument("--json", type=Path, help="write every measurement here")
    a = ap.parse_args(argv)
    if not (a.docs / "index.html").exists():
        print(f"no rendered site in {a.docs}: run `make docs` first", file=sys.stderr); return 2
    results = check(pages(a.docs, a.names), tuple(a.width or (1280, 800)), a.shots)
    print(table(results))
    if a.json: a.json.write_text(json.dumps({f"{n}@{w}": m for (n, w), m in results.items()}, indent=1))
    bad = {k: d for k, m in results.items() if (d := defects(m))}
    for (name, w), d in bad.items():
        ex = results[(name, w)]["examples"]
        print(f"{name} at {w} px: " + "; ".join(f"{k} {n} (e.g. {ex.get(k, [''])[0]!r})" for k, n in d.items()), file=sys.stderr)
    print(f"{len(results)} measurements, {len(bad)} with defects")
    return 1 if bad else 0


if __name__ == "__main__": sys.exit(main())
