"""The release artifacts of scripts/dist.sh as a user outside the repository installs them, by the
README's "Install" section: the wheel into a fresh virtualenv (with nothing of the repository on
sys.path) running the README's Python examples, the command line from its archive, the DuckDB
extension from its archive. The npm tarball's install is tests/browser/package.test.mjs (Node,
Deno, Bun, tsc)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
VERSION = re.search(r'^version = "(.*)"$', (ROOT / "Cargo.toml").read_text(encoding="utf-8"), re.M).group(1)  # type: ignore[union-attr]


def artifact(name: str) -> Path:
    path = DIST / name
    assert path.is_file(), f"{path} is missing: run bash scripts/dist.sh (scripts/test.sh does)"
    return path


def install_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]


WHEEL = f"omnikpi-{VERSION}-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"


def test_dist_holds_each_artifact_once_with_its_checksum() -> None:
    names = sorted(p.name for p in DIST.iterdir())
    assert names == sorted([WHEEL, f"omnikpi-{VERSION}.tar.gz", f"omnikpi-{VERSION}.tgz",
                            f"omnikpi-cli-{VERSION}-x86_64-linux.tar.gz",
                            f"omnikpi-duckdb-{VERSION}-linux_amd64.tar.gz", "SHA256SUMS"])
    sums = subprocess.run(["sha256sum", "--check", "SHA256SUMS"], cwd=DIST, capture_output=True, text=True)
    assert sums.returncode == 0 and sums.stdout.count(": OK") == 5, sums.stdout + sums.stderr


def test_the_readme_install_section_names_the_built_files() -> None:
    section = install_section()
    named = set(re.findall(r"dist/([\w.\-\[\],]+)", section))
    files = {re.sub(r"\[.*\]$", "", n) for n in named}
    assert files >= {WHEEL, f"omnikpi-{VERSION}.tgz", f"omnikpi-cli-{VERSION}-x86_64-linux.tar.gz"}, files
    for name in files:
        artifact(name)


def test_the_wheel_is_abi3_manylinux_and_holds_the_package_only() -> None:
    wheel = artifact(WHEEL)
    shown = subprocess.run([str(ROOT / ".venv" / "bin" / "auditwheel"), "show", str(wheel)],
                           capture_output=True, text=True, check=True).stdout
    assert 'platform tag: "manylinux_2_17_x86_64"' in " ".join(shown.split()), shown
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(f"omnikpi-{VERSION}.dist-info/METADATA").decode()
    assert "omnikpi/_omnikpi.abi3.so" in names and "omnikpi/py.typed" in names
    assert all(n.startswith(("omnikpi/", f"omnikpi-{VERSION}.dist-info/")) for n in names), names
    assert "Requires-Python: >=3.9" in meta and "Provides-Extra: pandas" in meta


def test_the_sdist_carries_the_core_and_the_definitions_it_compiles_in() -> None:
    with tarfile.open(artifact(f"omnikpi-{VERSION}.tar.gz")) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    kpis = {p.name for p in (ROOT / "spec" / "kpis").glob("*.json")}
    assert {f"core/spec/kpis/{k}" for k in kpis} <= names
    for f in ["pyproject.toml", "Cargo.lock", "core/Cargo.toml", "bindings-python/src/lib.rs",
              "core/spec/errors.json", "core/spec/currencies.json", "python/omnikpi/__init__.py"]:
        assert f in names, f
    assert not any(n.startswith("core/spec/vectors/") or n.endswith(".so") for n in names)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed as the README says, extras and all."""
    where = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    command = re.search(r"^pip install \"dist/(\S+)\"", install_section(), re.M)
    assert command, "the Install section has no `pip install \"dist/...\"` line"
    subprocess.run([str(where / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                    str(DIST / command.group(1))], check=True, timeout=900)
    return where


def run_in(venv: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = venv.parent / "script.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run([str(venv / "bin" / "python"), "-I", str(script)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_installed_wheel_is_the_one_imported(venv: Path) -> None:
    proc = run_in(venv, "import json, sys, omnikpi\n"
                  "print(json.dumps([omnikpi.__file__, sys.path, omnikpi.conversion_rate("
                  "[{'channel': 'web', 'opportunities': 8, 'conversions': 1}]).overall.rate.__str__()]))\n", ROOT)
    assert proc.returncode == 0, proc.stderr
    file, path, rate = json.loads(proc.stdout)
    assert file.startswith(str(venv)), file
    assert not any(p.startswith(str(ROOT)) for p in path), path
    assert rate == "0.125000"


def test_the_readme_python_examples_run_from_the_fresh_venv(venv: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2
    for i, block in enumerate(blocks):
        # the README's paths are relative to the repository, as a reader runs them
        proc = run_in(venv, block, ROOT)
        assert proc.returncode == 0, f"README python block {i}:\n{proc.stderr}"
    # a failing assertion fails the run, so the blocks above were checked
    assert run_in(venv, "import omnikpi\nassert omnikpi.conversion_rate([]).overall.conversions == 1\n", ROOT).returncode == 1


def glibc_floor(binary: Path) -> tuple[int, ...]:
    """The newest glibc symbol version `binary` needs."""
    dynamic = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True, check=True).stdout
    versions = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", dynamic)}
    assert versions, dynamic[:500]
    return max(versions)


def test_the_cli_archive_runs_the_readme_report(tmp_path: Path) -> None:
    with tarfile.open(artifact(f"omnikpi-cli-{VERSION}-x86_64-linux.tar.gz")) as t:
        assert t.getnames() == ["omnikpi"]
        t.extractall(tmp_path, filter="data")
    cli = tmp_path / "omnikpi"
    assert os.access(cli, os.X_OK)
    assert glibc_floor(cli) <= (2, 17), "the CLI runs wherever the manylinux2014 wheel installs"
    out = subprocess.run([str(cli), "report", str(ROOT / "examples" / "retail")], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert "== Journey conversion by first-touch channel" in out
    bad = subprocess.run([str(cli), "eval", "money.allocate", "--input", "-"], input='{"amount": 1.5}',
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("omnikpi: error [missing_field] at input.currency")


def test_the_duckdb_extension_archive_loads(tmp_path: Path) -> None:
    import duckdb

    with tarfile.open(artifact(f"omnikpi-duckdb-{VERSION}-linux_amd64.tar.gz")) as t:
        assert t.getnames() == ["omnikpi.duckdb_extension"]
        t.extractall(tmp_path, filter="data")
    assert glibc_floor(tmp_path / "omnikpi.duckdb_extension") <= (2, 17)
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.load_extension(str(tmp_path / "omnikpi.duckdb_extension"))
    row = con.execute("SELECT omnikpi_evaluate('conversion.rate', "
                  "'{\"rows\": [{\"channel\": \"web\", \"opportunities\": 8, \"conversions\": 1}]}')").fetchone()
    assert row is not None and json.loads(row[0])["overall"]["rate"] == "0.125000"
