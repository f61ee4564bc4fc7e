"""Packaging: the wheel installs and imports from outside the checkout; the editable install maps the folders.

The wheel is built from a copy of the sources (so no build artefacts land in the
checkout), installed with ``--no-deps --no-index`` into a fresh virtual environment
that sees this environment's packages for the dependencies, and imported from a
temporary directory.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "markovwire", "diagrams": "markovwire/diagrams", "library": "markovwire/library",
           "tui": "markovwire/tui"}
DATA = (".yaml", ".tcss", ".json", ".csv", ".md")   # .csv, .md: the shipped evaluation log and its provenance

pytestmark = pytest.mark.slow

PROBE = """
import importlib, importlib.util, json, markovwire
import markovwire.diagrams, markovwire.library, markovwire.tui
names = {n: (importlib.util.find_spec(n) is not None) for n in ("core", "diagrams", "library", "tui")}
print(json.dumps({"markovwire": markovwire.__file__, "diagrams": markovwire.diagrams.__file__,
                  "library": markovwire.library.__file__, "tui": markovwire.tui.__file__,
                  "top_level": names, "kernel_is_one_class":
                  markovwire.Kernel is importlib.import_module("markovwire.kernel").Kernel}))
"""


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def run(*cmd, cwd, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=300, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}"
    return done


def probe(python, cwd) -> dict:
    return json.loads(run(python, "-c", PROBE, cwd=cwd).stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ["pyproject.toml", "README.md", *FOLDERS]:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--wheel", "--outdir", out, src, cwd=src)
    (whl,) = out.glob("markovwire-*.whl")
    return whl


def test_wheel_holds_every_package_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for folder, target in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or path.suffix in DATA:
                expected.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(expected - names)
    assert not missing, f"files missing from the wheel (check [tool.setuptools] in pyproject.toml): {missing}"
    assert not [n for n in names if n.split("/")[0] in FOLDERS], "a source folder is installed under its own name"


def test_wheel_installs_and_imports_from_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", env_dir, cwd=tmp_path)
    python = env_dir / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp_path).stdout.strip())
    # The dependencies come from this environment: its site-packages as a plain path entry. Its
    # .pth files (the editable install's finder among them) are not processed from there.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--no-cache-dir", wheel, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = probe(python, elsewhere)
    for part in ("markovwire", "diagrams", "library", "tui"):
        assert Path(found[part]).is_relative_to(site / "markovwire"), found
    assert found["top_level"] == {"core": False, "diagrams": False, "library": False, "tui": False}
    assert found["kernel_is_one_class"]
    assert (env_dir / "bin" / "markovwire").exists()  # the console script


def test_editable_install_maps_the_folders(tmp_path):
    found = probe(sys.executable, tmp_path)
    assert found["markovwire"] == str(ROOT / "core" / "__init__.py")
    assert found["diagrams"] == str(ROOT / "diagrams" / "__init__.py")
    assert found["library"] == str(ROOT / "library" / "__init__.py")
    assert found["tui"] == str(ROOT / "tui" / "__init__.py")
    assert found["top_level"] == {"core": False, "diagrams": False, "library": False, "tui": False}
    assert found["kernel_is_one_class"]
