"""The handbook in docs/handbook: generated from the spec alone and up to date, every internal
link resolves, and every worked example shows what the library computes today."""

from __future__ import annotations

import filecmp
import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, ROOT

DOCS = ROOT / "docs" / "handbook"
LANGS = ["en", "fr"]


def generate(out: Path, *args: str) -> str:
    proc = subprocess.run([str(CLI), "handbook", "--out", str(out), *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


PACK = ROOT / "examples" / "group" / "pack.json"
REGENERATE = "omnikpi handbook --out docs/handbook --pack examples/group/pack.json"


def test_committed_handbook_is_what_the_spec_generates(tmp_path: Path) -> None:
    generate(tmp_path, "--pack", str(PACK))
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(DOCS) for p in DOCS.rglob("*") if p.is_file())
    assert fresh == committed, f"regenerate with: {REGENERATE}"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, DOCS / p, shallow=False)]
    assert not stale, f"stale pages {stale}: regenerate with {REGENERATE}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_pack_page_shows_each_label_next_to_the_definition_it_locks(lang: str) -> None:
    pack = json.loads(PACK.read_text(encoding="utf-8"))
    page = (DOCS / lang / f"pack.{pack['id']}.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    for kpi in pack["kpis"]:
        cell = "<td>" + html.escape(kpi["label"][lang], quote=False).replace('"', "&quot;") + "</td>"
        row = next(r for r in rows if cell in r)
        assert f'<a href="{kpi["kpi"]}.html">' in row, kpi["key"]
        assert f"<code>{kpi['version']}</code>" in row
    assert f'href="pack.{pack["id"]}.html"' in (DOCS / lang / "index.html").read_text(encoding="utf-8")


def test_one_language_only(tmp_path: Path) -> None:
    out = generate(tmp_path, "--lang", "fr")
    assert "fr" in out and not (tmp_path / "en").exists()
    links_resolve(tmp_path)


def links_resolve(root: Path) -> int:
    checked = 0
    for page in root.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            assert (page.parent / target.split("#")[0]).resolve().is_file(), f"{page.relative_to(root)} -> {target}"
            checked += 1
    for page in root.rglob("*.md"):
        for target in re.findall(r"\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
            if not re.match(r"^[a-z]+:", target):
                assert (page.parent / target).resolve().is_file(), f"{page.relative_to(root)} -> {target}"
                checked += 1
    return checked


def test_no_broken_internal_link() -> None:
    assert links_resolve(DOCS) > 50


def definitions() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "spec" / "kpis").glob("*.json"))]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("definition", definitions(), ids=lambda d: d["id"])
def test_worked_example_is_what_the_library_computes(definition: dict, lang: str) -> None:
    import omnikpi
    from decimal import Decimal

    kpi = definition["id"]
    stem, name = definition["example"].split("::")
    vectors = json.loads((ROOT / "spec" / "vectors" / kpi / f"{stem}.json").read_text(encoding="utf-8"))
    case = next(c for c in vectors["cases"] if c["name"] == name)
    page = (DOCS / lang / f"{kpi}.html").read_text(encoding="utf-8")
    blocks = [html.unescape(b) for b in re.findall(r"<pre><code>(.*?)</code></pre>", page, flags=re.S)]
    shown = json.loads(blocks[-1])

    def plain(v: object) -> object:
        if isinstance(v, Decimal):
            return format(v, "f")
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    assert shown == plain(omnikpi.evaluate(kpi, case["input"], case.get("params"))) == case["expected"]
    assert definition["title"][lang] in page and definition["formula"][lang].split(" ")[0] in page


def test_index_lists_every_kpi_with_search() -> None:
    for lang in LANGS:
        index = (DOCS / lang / "index.html").read_text(encoding="utf-8")
        assert 'id="q"' in index and "data-search" in index
        for d in definitions():
            assert f'href="{d["id"]}.html"' in index
