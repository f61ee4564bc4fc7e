"""Hostile and huge files at the YAML layer: a document of millions of values, a file of two gigabytes, an alias
bomb, deep nesting, a FIFO given as a file or returned by a plugin, a path too long for the system. Each runs in a
bounded child process and must end with a markovwire message naming the file, the line or key, the size and a fix
(a hang, an out-of-memory or a traceback fails the test)."""
from __future__ import annotations

import os

import limits

from markovwire.diagrams.yamlsafe import MAX_BYTES, MAX_NODES

LIMIT_FIX = "(these are fixed safety limits: at most 100,000 values and 5,000,000 bytes a file)"


def check(tmp_path, *files: str):
    r = limits.run_cli(["check", *files], cwd=tmp_path)
    assert r.clean, r
    assert r.returncode == 1, r
    return r.stderr


def test_a_document_of_millions_of_values_is_refused_where_it_passes_the_cap(tmp_path):
    # 4.8 MB, 2.4 million list items: composed whole, it took 64 s and 1.7 GB before a MemoryError
    (tmp_path / "big.yaml").write_text("name: x\nboxes: [" + ",".join(["1"] * 2_400_000) + "]\n")
    out = check(tmp_path, "big.yaml")
    assert MAX_NODES == 100_000
    assert (f"big.yaml:2: boxes[{MAX_NODES - 5}]: the document holds more than 100,000 values by here (counting those "
            "repeated through aliases)") in out, out
    assert f"fix: split it into several files, or write it without long chains of anchors and aliases {LIMIT_FIX}" \
        in out


def test_a_file_of_two_gigabytes_is_refused_by_its_size_without_being_read(tmp_path):
    with open(tmp_path / "huge.yaml", "wb") as f:  # sparse: no disk space
        f.truncate(2 * 1024**3)
    out = check(tmp_path, "huge.yaml")
    assert f"huge.yaml: is 2,147,483,648 bytes, {2 * 1024**3 - MAX_BYTES:,} more than the limit of 5,000,000" in out
    assert "fix: split it into several files, or check that it is the file you meant (these are fixed safety " \
           "limits)" in out


def test_an_alias_bomb_is_refused_at_the_alias_that_passes_the_cap(tmp_path):
    lines = ["a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    out = check(tmp_path, "bomb.yaml")
    assert "bomb.yaml:5: e[7]: the document holds more than 100,000 values by here (counting those repeated through " \
           "aliases; the alias *d repeats 11,111 values)" in out, out


def test_nesting_a_million_levels_deep_is_refused_at_the_65th(tmp_path):
    (tmp_path / "deep.yaml").write_text("- " * 1_000_000 + "x\n")
    out = check(tmp_path, "deep.yaml")
    assert "deep.yaml:1: " + "[0]" * 64 + ": is nested more than 64 levels deep" in out
    assert "fix: flatten the document" in out


def test_a_fifo_given_as_a_file_is_refused_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    out = check(tmp_path, "pipe.yaml")
    assert "pipe.yaml: is a FIFO (named pipe), not a regular file\n    fix: give the path of a YAML file" in out, out


def test_a_fifo_or_a_path_too_long_in_libraries_names_the_key(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    long = "d" * 900 + ".yaml"
    for ref, what in [("pipe.yaml", "is a FIFO (named pipe), not a regular file"),
                      (long, f"cannot be opened: {os.strerror(36)} (the path is {len(long):,} "
                             "characters)\n    fix: use a shorter path"),
                      ("loop.yaml", f"cannot be read: {os.strerror(40)}\n    fix: check the path and its permissions")]:
        (tmp_path / "p.yaml").write_text(f"name: p\nlibraries: ['{ref}']\ninstances: {{m: {{component: monitor}}}}\n"
                                         "diagram: m\n")
        out = check(tmp_path, "p.yaml")
        assert "p.yaml:2: libraries[0]: library file '" in out and what in out, out


def test_a_plugin_that_returns_a_fifo_is_refused_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "piped.yaml")
    r = limits.run_python(f"""
        import markovwire.library.discovery as discovery
        from markovwire.errors import MarkovwireError
        from markovwire.library import load_library
        discovery.installed_libraries = lambda: {{"piped": discovery.Path({str(tmp_path / "piped.yaml")!r})}}
        try:
            load_library("piped")
        except MarkovwireError as e:
            print(e)
        """, env={"MARKOVWIRE_LIBRARY_PATH": str(tmp_path / "none")})
    assert r.clean, r
    assert r.stdout == (f"library: library 'piped' of an installed package: file '{tmp_path / 'piped.yaml'}' is a "
                        "FIFO (named pipe), not a regular file\n  fix: reinstall or remove the package that provides "
                        "it\n"), r
