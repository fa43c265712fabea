"""The docs speak as a reader of the course does: sources by their names, one Japanese
voice with the course's terms, and the two languages keep the same pages, headings and
code."""
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
JA_PAGES = sorted((DOCS / "ja").rglob("*.md"))

# "シード 000" collides with the random seed, "ゼロつく" and "レポート 003" mean nothing to a
# reader: docs/{en,ja}/sources.md names every source.
SOURCE_LABELS = re.compile(r"シード ?0\d\d|[Ss]eed ?0\d\d|レポート ?0\d\d|ゼロつく")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_sources_are_cited_by_name(page):
    text = page.read_text(encoding="utf-8")
    found = sorted({m.group(0) for m in SOURCE_LABELS.finditer(text)})
    assert not found, f"{page.name}: cite the source by name (see sources.md), not {found}"
