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
