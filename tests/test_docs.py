"""Every ```python block in docs/ runs (per page, in order, in one namespace), so the
examples the learners copy work as written."""
import pathlib
import re

import matplotlib
import pytest

matplotlib.use("Agg")

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)       # examples that write files write them here
    namespace = {"__name__": "__docs__"}
    for i, code in enumerate(BLOCK.findall(page.read_text(encoding="utf-8"))):
        exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)
