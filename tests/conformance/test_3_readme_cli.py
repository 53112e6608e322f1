"""The README's command-line quickstart runs as written, with the built binary on PATH."""

from __future__ import annotations

import os
import re
import subprocess

from conftest import CLI, ROOT


def cli_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Command line", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S)
    assert block, "no sh block under '### Command line'"
    return [line for line in block.group(1).splitlines() if line.startswith("omnikpi ")]


def test_readme_cli_quickstart_runs() -> None:
    lines = cli_lines()
    assert len(lines) >= 3
    env = dict(os.environ, PATH=f"{CLI.parent}{os.pathsep}{os.environ['PATH']}")
    for line in lines:
        proc = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
        assert proc.stdout.strip(), line


def test_cli_errors_exit_1_with_code_and_path() -> None:
    proc = subprocess.run([str(CLI), "eval", "money.allocate", "--input", "-"], input='{"amount": 1.5}',
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("omnikpi: error [missing_field] at input.currency: ")
    bad = subprocess.run([str(CLI), "eval", "money.allocate", "--input", "/nonexistent.json"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "cannot read" in bad.stderr
    junk = subprocess.run([str(CLI), "eval", "conversion.rate", "--input", "-"], input="{not json",
                          capture_output=True, text=True, timeout=60)
    assert junk.returncode == 1 and "[invalid_json] at input" in junk.stderr


def test_report_prints_aligned_tables_with_totals() -> None:
    out = subprocess.run([str(CLI), "report", str(ROOT / "examples" / "retail")],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert "== Journey conversion by first-touch channel (conversion.rate v" in out
    assert "\n  total " in out
    assert out.count("rows: read") == 9
    assert "conversions_by_model:" in out and "shapley.rate" in out
