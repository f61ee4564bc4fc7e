"""Hostile and huge data files behind a ``data:`` entry (issue 13): refused at once, placed, with a fix.

Each case runs in a child process bounded in time and address space (``tests/limits.py``).
"""
from __future__ import annotations

import os

import limits

PROPOSAL = """\
name: t
instances:
  monitor:
    component: trusted_monitor_table
    data: {file: FILE, columns: {act: act, sus: score}, bins: {sus: [0, 1, 2, 3]}}
diagram: monitor
queries:
  flag: {probability: {sus: high}, inputs: {act: backdoor_ok}}
"""


def proposal(tmp_path, name: str, stem: str = "p"):
    return limits.write(tmp_path, f"{stem}.yaml", PROPOSAL.replace("FILE", name))


def test_huge_and_special_files_are_refused_before_they_are_read(tmp_path):
    """Past the byte limit (a sparse file of 60 MB), one field of 5 MB, 4 million columns, a device, a FIFO and
    hostile JSON Lines: one check of six files. (Arrays nested 100,000 deep: tests/library/test_data_kernels.py.)"""
    with open(tmp_path / "huge.csv", "wb") as f:
        f.truncate(60_000_000)
    (tmp_path / "wide.csv").write_text("act,score\nclean,0.5\nclean," + "9" * 5_000_000 + "\n")
    (tmp_path / "many.csv").write_text("act,score," + ",".join(["x"] * 4_000_000) + "\nclean,0.5\n")
    os.symlink("/dev/zero", tmp_path / "zero.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    cases = {
        "huge": ("huge.csv: is 60,000,000 bytes, 10,000,000 more than the limit of 50,000,000 for a data file",
                 "fix: keep only the columns and rows this component needs"),
        "wide": ("wide.csv:3: is not valid CSV: field larger than field limit (131072)",
                 "fix: check the quoting of that line"),
        "many": ("many.csv:1: has 4,000,002 columns, more than the limit of 10,000",
                 "fix: keep only the columns the data entry reads"),
        "zero": ("zero.csv: is a character device, not a regular file", "fix: give the path of a CSV or JSON Lines"),
        "pipe": ("pipe.csv: is a FIFO", "fix: give the path of a CSV or JSON Lines file"),
    }
    paths = {stem: proposal(tmp_path, f"{stem}.csv", stem) for stem in cases}
    # JSON Lines: infinity, then an integer of 100,000 digits (Python refuses to read it): both rows reported
    (tmp_path / "bad.jsonl").write_text('{"act": "clean", "score": 0.5}\n{"act": "clean", "score": 1e999}\n'
                                        '{"act": "clean", "score": ' + "7" * 100_000 + "}\n")
    paths["bad"] = proposal(tmp_path, "bad.jsonl", "bad")
    r = limits.run_cli(["check", *map(str, paths.values())])
    assert r.clean, r
    assert r.returncode == 1
    for stem, (what, fix) in cases.items():
        assert f"{paths[stem]}:5: instances.monitor.data: {tmp_path}/{what}" in r.stderr, r
        assert fix in r.stderr
    for problem in ("bad.jsonl:2: column 'score': inf is not a finite number",
                    "bad.jsonl:3: holds a number too long or values nested too deep to read"):
        assert f"{paths['bad']}:5: instances.monitor.data: {tmp_path}/{problem}" in r.stderr, r
