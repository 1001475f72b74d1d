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
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "3.0x" in "".join(c["source"]))
    cell["source"] = [s.replace("3.0x", "2.5x") for s in cell["source"]]
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
