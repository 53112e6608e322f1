"""The README's Python quickstart runs as written."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT


def python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_a_python_quickstart() -> None:
    assert python_blocks()


def test_readme_python_quickstart_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the repository, as a reader runs them
    for block in python_blocks():
        exec(compile(block, "README.md", "exec"), {})
