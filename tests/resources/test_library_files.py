"""Hostile and huge library files and plugins (issue 11): refused at once with the place, the size and a fix.

Each case runs in a child process bounded in time and address space (``tests/limits.py``).
"""
from __future__ import annotations

import json

import limits


def test_a_huge_library_component_is_refused_before_allocation(tmp_path):
    lib = limits.write(tmp_path, "big.yaml", """\
        name: big
        version: "1"
        components:
          huge:
            inputs: {a: Range(1000000)}
            outputs: {b: Range(1000000)}
            kernel: {table: {_: {"0": 1}}}
        """)
    r = limits.run_cli(["library", "validate", str(lib)])
    assert r.clean, r
    assert r.returncode == 1
    assert (f"{lib}:7: components.huge.kernel: would have 1,000,000,000,000 entries (a: Range(1000000) of 1,000,000 "
            "× b: Range(1000000) of 1,000,000), more than the limit of 10,000,000") in r.stderr
    assert "fix: use smaller types for its ports" in r.stderr


def test_a_component_sized_by_a_parameter_names_it_and_how_to_set_it(tmp_path):
    lib = limits.write(tmp_path, "sized.yaml", """\
        name: sized
        version: "1"
        parameters:
          n: {domain: [1, 2000000], default: 1000, integer: true}
        components:
          grid:
            inputs: {a: Range(n), b: Range(n)}
            outputs: {c: Range(n)}
            kernel: {table: {_: {_: {"0": 1}}}}
        """)
    r = limits.run_cli(["library", "validate", str(lib)])
    assert r.clean, r
    assert r.returncode == 1
    assert f"{lib}:9: components.grid.kernel: would have 1,000,000,000 entries (a: Range(1000) of 1,000 × " \
           "b: Range(1000) of 1,000 × c: Range(1000) of 1,000), more than the limit of 10,000,000" in r.stderr, r
    assert "fix: give smaller values to n = 1000 (in the file, or with --set on the command line)" in r.stderr


def test_a_wildcard_row_over_a_large_type_is_parsed_once(tmp_path):
    """10^6 rows by one wildcard: one parse and one row, copied (before: 10^6 parses)."""
    lib = limits.write(tmp_path, "wide.yaml", """\
        name: wide
        version: "1"
        types: {Verdict: [pass, flag]}
        components:
          wide:
            inputs: {a: Range(1000000)}
            outputs: {v: Verdict}
            kernel: {table: {"7": {pass: 1}, _: {pass: "1/4", flag: "3/4"}}}
        """)
    r = limits.run_python(f"""
        from unittest import mock
        import numpy as np
        from markovwire.library import load_library, constructions
        real = constructions.to_expr
        with mock.patch.object(constructions, "to_expr", side_effect=real) as parse:
            k = load_library({str(lib)!r}).components["wide"].instantiate("w").kernel
        print(parse.call_count, k.array.shape, k.array[7].tolist(), k.array[0].tolist(), k.array[999999].tolist(),
              float(np.abs(k.array[8:] - [0.25, 0.75]).max()))
        """)
    assert r.clean, r
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[0] == "3 (1000000, 2) [1.0, 0.0] [0.25, 0.75] [0.25, 0.75] 0.0"


PLUGIN_DIST = "Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"


def test_a_plugin_that_exits_on_import_is_reported_and_the_others_kept(tmp_path):
    """A real installed package (a .dist-info on PYTHONPATH) whose plugin calls sys.exit(3) when imported."""
    site = tmp_path / "site"
    site.mkdir()
    for name, module, text in (("exiting-plugin", "exiting_plugin", "import sys\nsys.exit(3)\n"),
                               ("raising-plugin", "raising_plugin", "def path():\n    raise OSError('gone')\n")):
        dist = site / f"{module}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(PLUGIN_DIST.format(name=name))
        (dist / "entry_points.txt").write_text(f"[markovwire.libraries]\n{module} = {module}:path\n")
        (site / f"{module}.py").write_text(text)
    env = {"PYTHONPATH": str(site), "MARKOVWIRE_LIBRARY_PATH": str(tmp_path / "none")}
    r = limits.run_cli(["library", "list", "--json"], env=env)
    assert r.clean, r
    assert r.returncode == 0, r
    out = json.loads(r.stdout)
    assert "alignment" in {c["library"] for c in out["components"]}  # the shipped library is still there
    assert ("entry point 'exiting_plugin' (exiting_plugin:path): could not be loaded: it called sys.exit(3)\n"
            "  fix: reinstall or remove the package that provides it (exiting-plugin)") in out["problems"]
    assert ("entry point 'raising_plugin' (raising_plugin:path): could not be loaded: OSError: gone\n"
            "  fix: reinstall or remove the package that provides it (raising-plugin)") in out["problems"]
    skipped = [line for line in r.stderr.splitlines() if line.startswith("markovwire: skipped a broken library plugin")]
    assert len(skipped) == 2, r

    r = limits.run_cli(["library", "list"], env=env)  # the table, and each broken plugin once on standard error
    assert r.clean and r.returncode == 0, r
    assert "alignment" in r.stdout
    assert r.stderr.count("entry point 'exiting_plugin'") == 1, r


def test_a_wildcard_row_of_parameters_over_a_large_type_is_checked_once_per_distinct_entry(tmp_path):
    """Symbols, row sums, domain points and numeric evaluation look at the few distinct entries of a wildcard
    table (Kernel.coding), not at its 2,000,000 cells; a typo in a label is named with a short list of labels."""
    lib = limits.write(tmp_path, "wide.yaml", """\
        name: wide
        version: "1"
        types: {Verdict: [pass, flag]}
        parameters:
          p: {default: 0.25, domain: [0, 1]}
        components:
          wide:
            inputs: {a: Range(1000000)}
            outputs: {v: Verdict}
            parameters: [p]
            kernel: {table: {"7": {pass: 1}, _: {pass: p, flag: 1 - p}}}
          typo:
            inputs: {a: Range(1000000)}
            outputs: {v: Verdict}
            kernel: {table: {"x7": {pass: 1}, _: {flag: 1}}}
        """)
    r = limits.run_python(f"""
        from markovwire.library import load_library
        from markovwire.errors import MarkovwireError
        lib = load_library({str(lib)!r})
        k = lib.components["wide"].instantiate("w").kernel
        codes, entries = k.coding()
        a = k.numeric({{"p": 0.3}})
        print(len(entries), a[7].tolist(), a[999999].round(12).tolist())
        try:
            lib.components["typo"].instantiate("t")
        except MarkovwireError as e:
            print(e)
        """)
    assert r.clean and r.returncode == 0, r
    lines = r.stdout.split("\n")
    assert lines[0] == "4 [1.0, 0.0] [0.3, 0.7]"   # 0 (row 7's flag), 1, p and 1 - p
    assert lines[1] == f"{lib}:15: components.typo.kernel.table.x7: Range(1000000) has no label 'x7'"
    assert lines[2] == ("  fix: use one of: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, …, "
                        "999999 (1,000,000 labels)")
