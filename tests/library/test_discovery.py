"""Library discovery asks installed packages for their entry points once, until told to forget."""
from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

import markovwire.library.discovery as discovery
from markovwire.errors import FileFormatError
from markovwire.library import available_libraries, find_library, installed_libraries, load_library
from markovwire.library.shipped import alignment_path

TOY = "name: toy\nversion: '1'\ntypes: {Answer: [yes, no]}\ncomponents:\n" \
      "  ask: {outputs: {a: Answer}, kernel: {table: {yes: 0.4, no: 0.6}}}\n"


@pytest.fixture
def calls(monkeypatch, tmp_path):
    """The groups ``entry_points`` is asked for, counted, with a fresh cache and no user libraries."""
    asked: list[str] = []
    real = discovery.entry_points

    def counting(**kw):
        asked.append(kw.get("group"))
        return real(**kw)

    monkeypatch.setenv(discovery.ENV, str(tmp_path / "none"))
    monkeypatch.setattr(discovery, "entry_points", counting)
    discovery.forget_installed()
    yield asked
    discovery.forget_installed()  # the next test sees the real entry points again


def test_entry_points_are_read_once(calls):
    for _ in range(3):
        assert find_library("alignment") == alignment_path()
        assert load_library("alignment").name == "alignment"
    assert available_libraries()["alignment"] == alignment_path()
    assert installed_libraries()["alignment"] == alignment_path()
    assert calls == ["markovwire.libraries"]


def test_forgetting_reads_them_again(calls):
    find_library("alignment")
    discovery.forget_installed()
    find_library("alignment")
    find_library("alignment")
    assert calls == ["markovwire.libraries"] * 2


def fake_plugins(monkeypatch, tmp_path, broken: bool = False) -> None:
    """Installed packages offering the toy library (through a module of its own), and a broken one if asked."""
    (tmp_path / "toy.yaml").write_text(TOY)
    module = f"toy_plugin_{tmp_path.name}"  # a name of its own: no module left by another test answers for it
    (tmp_path / f"{module}.py").write_text(f"def path():\n    return {str(tmp_path / 'toy.yaml')!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entries = [EntryPoint("toy", f"{module}:path", discovery.GROUP)]
    if broken:
        entries.append(EntryPoint("broken", "no_such_module_here:path", discovery.GROUP))
    monkeypatch.setattr(discovery, "entry_points", lambda group: entries if group == discovery.GROUP else [])


def test_a_package_installed_later_is_seen_after_forgetting(calls, monkeypatch, tmp_path):
    assert "toy" not in available_libraries()
    fake_plugins(monkeypatch, tmp_path)
    assert "toy" not in available_libraries()  # still the cached answer
    discovery.forget_installed()
    assert find_library("toy") == tmp_path / "toy.yaml"
    assert load_library("toy").components["ask"].instantiate("q").kernel.prob("yes") == pytest.approx(0.4)


def test_a_broken_plugin_is_reported_each_time_it_is_named(calls, monkeypatch, tmp_path):
    fake_plugins(monkeypatch, tmp_path, broken=True)
    discovery.forget_installed()
    assert available_libraries() == {"toy": tmp_path / "toy.yaml"}
    for _ in range(2):
        with pytest.raises(FileFormatError) as err:
            find_library("broken")
        assert str(err.value) == ("entry point 'broken' (no_such_module_here:path): could not be loaded: "
                                  "ModuleNotFoundError: No module named 'no_such_module_here'\n"
                                  "  fix: reinstall or remove the package that provides it")


PLUGINS = {  # module text, attribute -> what the problem says
    "fails_import": ("import no_such_module_here\n", "path", "could not be loaded: ModuleNotFoundError: "
                     "No module named 'no_such_module_here'"),
    "raises": ("def path():\n    raise RuntimeError('disk on fire')\n", "path",
               "could not be loaded: RuntimeError: disk on fire"),
    "no_attribute": ("x = 1\n", "path", "could not be loaded: AttributeError"),
    "not_a_path": ("def path():\n    return 42\n", "path", "returned 42 (int), not the path of a library file"),
    "exits": ("import sys\nsys.exit(3)\n", "path", "could not be loaded: it called sys.exit(3)"),
    "base_exception": ("class Odd(BaseException):\n    pass\nraise Odd('odd')\n", "path",
                       "could not be loaded: Odd: odd"),
}


@pytest.fixture
def broken_plugins(calls, monkeypatch, tmp_path):
    """The toy plugin and one broken plugin of each kind, each in a module of its own."""
    (tmp_path / "toy.yaml").write_text(TOY)
    entries = []
    for name, (text, attr, _) in PLUGINS.items():
        module = f"plugin_{name}_{tmp_path.name}"
        (tmp_path / f"{module}.py").write_text(text)
        entries.append(EntryPoint(name, f"{module}:{attr}", discovery.GROUP))
    module = f"toy_plugin_{tmp_path.name}"
    (tmp_path / f"{module}.py").write_text(f"def path():\n    return {str(tmp_path / 'toy.yaml')!r}\n")
    entries.append(EntryPoint("toy", f"{module}:path", discovery.GROUP))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "entry_points", lambda group: entries if group == discovery.GROUP else [])
    monkeypatch.setattr(discovery, "_reported", set())
    discovery.forget_installed()
    return entries


def test_each_broken_plugin_is_skipped_reported_once_and_the_others_kept(broken_plugins, capsys):
    assert set(available_libraries()) == {"toy"}
    assert load_library("toy").name == "toy"
    problems = {str(e).split("'")[1]: e for e in discovery.plugin_problems()}
    assert set(problems) == set(PLUGINS)
    for ep in broken_plugins[:-1]:
        err = problems[ep.name]
        assert err.where == f"entry point {ep.name!r} ({ep.value})"
        assert err.what.startswith(PLUGINS[ep.name][2]), err.what
        assert err.fix == "reinstall or remove the package that provides it"
    for _ in range(3):
        available_libraries()
        discovery.plugin_problems()
    lines = capsys.readouterr().err.splitlines()
    skipped = [line for line in lines if line.startswith("markovwire: skipped a broken library plugin: ")]
    assert len(skipped) == len(PLUGINS)  # once each in this run, however often asked
    assert any("entry point 'exits' (plugin_exits_" in line and "it called sys.exit(3)" in line for line in skipped)


def test_a_broken_plugin_named_by_a_proposal_is_its_error(broken_plugins):
    with pytest.raises(FileFormatError) as err:
        find_library("exits")
    assert err.value.what == "could not be loaded: it called sys.exit(3)"


def test_library_list_json_lists_broken_plugins(broken_plugins):
    import json

    from click.testing import CliRunner

    from markovwire.tui.cli import cli
    r = CliRunner().invoke(cli, ["library", "list", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {c["library"] for c in out["components"]} == {"toy"}
    problems = out["problems"]
    assert len(problems) == len(PLUGINS)
    exits = next(p for p in problems if p.startswith("entry point 'exits'"))
    assert exits == (f"entry point 'exits' ({broken_plugins[4].value}): could not be loaded: it called sys.exit(3)\n"
                     "  fix: reinstall or remove the package that provides it")
