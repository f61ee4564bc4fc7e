"""docs/figures/make_figures.py: a few figures regenerated into a temporary folder are valid files of their formats,
the README lists exactly the gallery, and the commands it prints make the same figures.

The whole gallery is not rendered here (its credal sweep alone takes half a minute); one figure of each kind is.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import shlex
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from markovwire.tui.cli import cli

ROOT = Path(__file__).parents[2]
GALLERY = ROOT / "docs" / "figures"
SUBSET = ["chain", "proposals/trusted_monitoring", "slides/budgeted_monitoring", "plots/trusted_monitoring_sensitivity"]


def _load():
    spec = importlib.util.spec_from_file_location("make_figures", GALLERY / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module         # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gallery():
    return _load()


def check_file(path: Path) -> None:
    """``path`` holds a file of the format its suffix names (its header, and an SVG parses as XML)."""
    data = path.read_bytes()
    fmt = path.suffix[1:]
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    elif fmt == "pdf":
        assert data[:5] == b"%PDF-" and b"%%EOF" in data[-1024:], path
    else:
        assert fmt == "svg", path
        assert ET.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg", path


def test_a_subset_is_written_in_each_format(gallery, tmp_path, capsys):
    args = [a for name in SUBSET for a in ("--only", name)]
    assert gallery.main([*args, "--out", str(tmp_path)]) == 0
    expected = {f"{f.name}.{fmt}" for f in gallery.select(SUBSET) for fmt in f.formats}
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == expected          # a subset run leaves the README alone
    assert {"proposals/trusted_monitoring.pdf", "plots/trusted_monitoring_sensitivity.svg", "chain.png",
            "slides/budgeted_monitoring.png"} <= written
    for name in written:
        check_file(tmp_path / name)
    assert capsys.readouterr().out.split() == [str(tmp_path / n) for n in sorted(written, key=_order(gallery))]


def _order(gallery):
    names = [f"{f.name}.{fmt}" for f in gallery.select(SUBSET) for fmt in f.formats]
    return names.index


def test_patterns_select_and_unknown_names_are_refused(gallery):
    names = [f.name for f in gallery.select(["plots/*"])]
    assert names and all(n.startswith("plots/") for n in names)
    with pytest.raises(SystemExit, match="--only plot/x: no figure of that name"):
        gallery.select(["plot/x"])


def test_the_script_refuses_a_bad_name_and_an_unwritable_folder_without_a_traceback(tmp_path):
    import limits

    script = str(GALLERY / "make_figures.py")
    r = limits.run([sys.executable, script, "--only", "chian"])
    assert r.clean and r.returncode != 0 and "--only chian: no figure of that name (see --list)" in r.stderr, r
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = limits.run([sys.executable, script, "--only", "chain", "--out", str(blocker)])
    assert r.clean and r.returncode != 0, r
    assert "file/chain.png: cannot be written" in r.stderr and "fix: check that the path is writable" in r.stderr, r
    assert blocker.read_text() == "not a folder"


def test_every_shipped_proposal_is_in_the_gallery(gallery):
    from markovwire.library.shipped import proposal_paths

    paper = {f.name for f in gallery.figures() if f.options == gallery.PAPER}
    assert paper == {f"proposals/{p.stem}" for p in proposal_paths()}


def test_the_committed_gallery_is_the_generated_one(gallery):
    """The README is what a full run writes, and every file it links to is committed and valid."""
    again = "out of date: run python docs/figures/make_figures.py and commit docs/figures"
    assert (GALLERY / "README.md").read_text(encoding="utf-8") == gallery.readme(), f"README.md {again}"
    for fig in gallery.figures():
        for fmt in fig.formats:
            assert (GALLERY / f"{fig.name}.{fmt}").is_file(), f"{fig.name}.{fmt} is missing: {again}"
            check_file(GALLERY / f"{fig.name}.{fmt}")


@pytest.mark.parametrize("name", ["plots/trusted_monitoring_sensitivity", "plots/credal_control_tv_band",
                                  "proposals/trusted_monitoring", "slides/budgeted_monitoring", "page/amplification"])
def test_a_readme_command_makes_the_same_figure(gallery, name, tmp_path, monkeypatch):
    """The command the README prints, run as printed (its output in tmp_path, as SVG), writes the very bytes
    the generator's Python calls write: the two descriptions of a figure cannot drift apart."""
    monkeypatch.chdir(ROOT)
    (fig,) = gallery.select([name])
    words = shlex.split(fig.command)
    assert words[0] == "markovwire"
    out = words.index("-o") + 1
    words[out] = str(tmp_path / "cli.svg")
    with gallery._reproducible():
        result = CliRunner().invoke(cli, words[1:], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (made,) = gallery.make([dataclasses.replace(fig, formats=("svg",))], tmp_path / "python")
    check_file(made)
    assert (tmp_path / "cli.svg").read_bytes() == made.read_bytes()
