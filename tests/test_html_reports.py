"""Reports as HTML pages: a parity, a drift and a validation report opened in headless Chromium (marker `browser`),
and plain checks of size and downsampling.

In the browser (tools/site_check.py's headless Chromium loads each page and evaluates the measuring script in it):
no request leaves the file, every image loads, the failing items come first, nothing overflows at 1280 px and the page
does not scroll sideways at 400 px.
"""
import json, os, re
import numpy as np, pandas as pd
import pytest
from helpers import ROOT  # noqa: F401  (puts tools/ on the path)
import site_check

import mlparity

REQUIRED = os.environ.get("MLPARITY_REQUIRE_BROWSER") == "1"
no_browser = pytest.mark.skipif(not REQUIRED and site_check.chromium_path() is None, reason="no headless Chromium")
MEASURE_JS = r"""
(function(){
  const out = {window: window.innerWidth, scroll: document.documentElement.scrollWidth};
  out.resources = performance.getEntriesByType('resource').map(e => e.name.slice(0, 60));
  out.images = [...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth,
                                              shown: Math.round(i.getBoundingClientRect().width)}));
  const h = document.querySelector('body > header');
  const next = h && h.nextElementSibling;
  out.after_header = next ? next.tagName + ':' + next.textContent : null;
  out.failing = [...document.querySelectorAll('section.failing > h3')].map(x => x.textContent);
  out.first_failing_section = (() => { const s = document.querySelector('section'); return s ? s.className : null; })();
  out.wide = [...document.body.querySelectorAll('*')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                 && !el.closest('.scroll')).map(el => el.tagName + ' ' + (el.textContent || '').slice(0, 40)).slice(0, 5);
  return JSON.stringify(out);
})()
"""


def reports(seed:int=0)->dict:
    "A failing parity, drift and validation report of small seeded data."
    rng = np.random.default_rng(seed)
    n = 2000
    off = pd.DataFrame({"user_id": np.arange(n), "purchase_frequency": rng.poisson(3, n) / 90,
                        "avg_purchase_value": rng.gamma(2, 30, n), "segment": rng.choice(["new", "loyal", "lapsed"], n)})
    on = off.assign(purchase_frequency=off["purchase_frequency"] * 3,
                    segment=np.where(np.arange(n) % 7 == 0, "unknown", off["segment"])).iloc[:-20]
    parity = mlparity.compare_frames(off, on, key="user_id", sides=("training", "serving"))
    ref = pd.DataFrame({"age": rng.normal(40, 10, n), "spend": rng.gamma(2, 30, n), "plan": rng.choice(["a", "b", "c"], n)})
    cur = pd.DataFrame({"age": rng.normal(46, 10, n), "spend": rng.gamma(2, 30, n),
                        "plan": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])})
    drift = mlparity.drift_report(ref, cur)
    bad = cur.assign(age=cur["age"].where(cur.index % 40 != 0, np.nan), plan=cur["plan"].where(cur.index % 90 != 0, "z"))
    validation = mlparity.Schema.infer(ref).validate(bad)
    for name, rep in (("parity", parity), ("drift", drift), ("validation", validation)):
        assert not rep.ok and rep.failing, f"the {name} report of the test data must fail"
    return {"parity": parity, "drift": drift, "validation": validation}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("html_reports")
    reps = reports()
    return {name: (rep, rep.save_html(d / f"{name}.html")) for name, rep in reps.items()}


def measure(page, width:int)->dict:
    """Load `page` in headless Chromium with a window `width` px wide (the DevTools protocol sets any width, a phone's
    400 px too) and return what the measuring script found."""
    return json.loads(site_check.load(page, MEASURE_JS, width=width, height=1000))


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|url\(\s*["']?\s*(?:https?:|//)""", re.I)


@pytest.mark.parametrize("name", ["parity", "drift", "validation"])
def test_page_is_self_contained(pages, name):
    "No URL in any src, href or url() leads out of the file: every picture is a data: URI."
    rep, page = pages[name]
    html = page.read_text(encoding="utf-8")
    assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
    srcs = re.findall(r"""\bsrc\s*=\s*["']([^"']*)""", html)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)


@pytest.mark.browser
@no_browser
@pytest.mark.parametrize("name", ["parity", "drift", "validation"])
def test_page_in_a_browser(pages, name):
    rep, page = pages[name]
    wide = measure(page, 1280)
    assert all(r.startswith("data:") for r in wide["resources"]), wide["resources"]   # no request leaves the file
    assert wide["images"] and all(i["ok"] for i in wide["images"]), wide["images"]       # every image loads
    assert wide["after_header"].startswith("H2:What failed"), wide["after_header"]      # the failing items come first
    assert wide["failing"] == [str(s) for s in rep.failing]
    assert wide["first_failing_section"] == "failing"
    assert wide["scroll"] <= wide["window"] and not wide["wide"], wide                   # nothing overflows at 1280 px
    assert all(i["shown"] <= 1280 for i in wide["images"])
    narrow = measure(page, 400)
    assert narrow["window"] <= 420, narrow["window"]
    assert narrow["scroll"] <= narrow["window"] + 1, (narrow["scroll"], narrow["wide"])   # readable on a phone: no sideways scroll
    assert all(i["shown"] <= narrow["window"] for i in narrow["images"])


def test_hundred_failing_features_fit_in_5_mb_and_large_data_is_downsampled():
    "100 failing features of 5,000 rows: the page is at most 5 MB, and each picture's title says how many points it draws."
    rng = np.random.default_rng(0)
    n, k = 5000, 100
    off = pd.DataFrame({"user_id": np.arange(n)} | {f"f{i:03d}": rng.normal(10, 3, n) for i in range(k)})
    on = off.copy()
    for i in range(k): on[f"f{i:03d}"] = np.where(rng.random(n) < 0.5, off[f"f{i:03d}"] * (1.1 + i / 50), off[f"f{i:03d}"])
    rep = mlparity.compare_frames(off, on, key="user_id")
    assert len(rep.failing) == k
    figs = rep.figures()
    assert len(figs) == k
    for feature, pic in figs[:3]:
        assert re.search(r"rows differ; 1,000 of them drawn$", pic.title), pic.title         # at most 1,000 pairs kept
        assert pic.panels[0]["drawn"]["rows that differ"] == 1000
        assert pic.svg.count("h0") == 1000                                                   # and 1,000 dots in the SVG
    html = rep.to_html()
    assert len(html.encode()) <= 5_000_000, f"{len(html.encode()) / 1e6:.2f} MB"
    assert html.count("<img") == k


def test_large_drift_is_drawn_at_fewer_points_and_says_so():
    rng = np.random.default_rng(1)
    ref, cur = pd.DataFrame({"x": rng.normal(0, 1, 50_000)}), pd.DataFrame({"x": rng.normal(0.2, 1, 50_000)})
    (col, pic), = mlparity.drift_report(ref, cur).figures()
    assert "the ECDFs drawn at" in pic.title and "for 100,000 values" in pic.title, pic.title
    drawn = pic.panels[0]["drawn"]
    assert set(drawn) == {"reference (n=50,000)", "current (n=50,000)"} and max(drawn.values()) <= 4000, drawn


def test_skew_report_pictures_land_under_what_failed():
    "The serving-log report's timeline is drawn in its failing feature's section."
    from mlparity.logs import compare_logged
    t0 = pd.Timestamp("2024-08-01")
    off = pd.DataFrame([(u, t0 + pd.Timedelta(days=d), float(u + d)) for d in range(5) for u in range(10)],
                       columns=["user_id", "request_time", "x"])
    served = off.assign(request_time=off["request_time"] + pd.Timedelta(hours=1))
    served["x"] = np.where(served["request_time"] >= t0 + pd.Timedelta(days=3), served["x"] * 3, served["x"])
    rep = compare_logged(served, off, key="user_id")
    assert rep.failing == ["x"]
    html = rep.to_html()
    failed = html[html.index("What failed"):]
    failed = failed[:failed.index("</section>")]
    assert "<h3>x</h3>" in failed and failed.count("<img") == 1


def test_chapters_link_to_reports_the_site_copies(tmp_path):
    "Every `reports/*.html` a chapter links to is committed in nbs/reports/, and the site build copies it so the link resolves."
    import render_docs
    from helpers import NBS
    links = {m for p in NBS.glob("*.ipynb") for m in re.findall(r"\]\((reports/[\w.-]+\.html)\)", p.read_text(encoding="utf-8"))}
    assert links, "no chapter links to a saved HTML report"
    for link in links: assert (NBS / link).is_file(), f"{link} is linked but not in nbs/"
    (tmp_path / "index.html").write_text("".join(f'<a href="{l}">report</a>' for l in sorted(links)))
    render_docs.copy_reports(tmp_path)
    assert render_docs.check_links(tmp_path) == []
    for link in links: assert (tmp_path / link).read_bytes() == (NBS / link).read_bytes()


def test_parity_pairs_are_the_smallest_keys_and_merge_across_dask_partitions():
    "The pairs a parity picture draws: at most 1,000 per failing numeric feature, the smallest keys, the same on Dask."
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(3)
    n = 6000
    off = pd.DataFrame({"user_id": rng.permutation(n), "f": rng.normal(size=n), "g": rng.normal(size=n)})
    on = off.assign(f=np.where(off["user_id"] % 3 == 0, off["f"] * 3, off["f"]))
    rep = mlparity.compare_frames(off, on, key="user_id")
    assert rep.failing == ["f"] and len(rep.pairs) == 1000
    assert rep.pairs["user_id"].tolist() == list(range(0, 3000, 3))                    # the 1,000 smallest mismatching keys
    truth = off.set_index("user_id").loc[rep.pairs["user_id"], "f"].to_numpy()
    np.testing.assert_array_equal(rep.pairs["offline"].to_numpy(float), truth)
    np.testing.assert_array_equal(rep.pairs["online"].to_numpy(float), truth * 3)
    drep = mlparity.compare_frames(dd.from_pandas(off, npartitions=4), dd.from_pandas(on, npartitions=3), key="user_id")
    pd.testing.assert_frame_equal(drep.pairs, rep.pairs)
    assert str(drep) == str(rep) and "pairs" not in rep.to_json()                      # the text and JSON do not carry them
