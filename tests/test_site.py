"""The site is bilingual: every page in English (/) and Japanese (/ja/), a language switch
on every page that leads to the same page in the other language, the glossary linked
from every page's text, and a search that finds Japanese words.

The nav is checked from mkdocs.yml alone; the rest builds the site once (`mkdocs build
--strict`, a few seconds) and skips, with the reason, where the docs extra
(`pip install -e ".[docs]"`) is not installed."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from urllib.parse import urljoin

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS / "en").as_posix() for p in (DOCS / "en").rglob("*.md"))
LANGS = {"en": "", "ja": "ja/"}      # where each language lives in the site


def _nav_files(nav):
    for item in nav:
        for value in item.values():
            yield from (_nav_files(value) if isinstance(value, list) else [value])


def _config():
    # mkdocs.yml holds no Python tags: plain YAML
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_both_navs_list_every_page_in_the_same_order():
    config = _config()
    i18n = next(p["i18n"] for p in config["plugins"] if isinstance(p, dict) and "i18n" in p)
    assert i18n["docs_structure"] == "folder"
    ja = next(lang for lang in i18n["languages"] if lang["locale"] == "ja")
    en_nav, ja_nav = list(_nav_files(config["nav"])), list(_nav_files(ja["nav"]))
    assert en_nav == ja_nav, "the English and Japanese navs list the same pages in one order"
    assert sorted(en_nav) == PAGES, "every page of docs/en and docs/ja is in the nav"


def _url(page):
    """The site path of a page's HTML (directory URLs): course/index.md -> course/."""
    path = page[:-len(".md")]
    path = path[:-len("index")] if path.endswith("index") else path + "/"
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("mkdocs", "material", "mkdocs_static_i18n"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e \".[docs]\"")
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                          str(out)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _html(site, lang, page):
    path = site / LANGS[lang] / _url(page) / "index.html"
    assert path.exists(), f"{lang}: {page} was not built"
    return path.read_text(encoding="utf-8")


def _resolve(lang, page, href):
    """The site path an href on a page points to."""
    base = "http://site/" + LANGS[lang] + _url(page)
    return urljoin(base, href).removeprefix("http://site/").split("#")[0]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang,other", [("en", "ja"), ("ja", "en")])
def test_every_page_switches_to_its_counterpart(site, page, lang, other):
    html = _html(site, lang, page)
    switch = dict((hreflang, href) for href, hreflang in re.findall(
        r'<a href="([^"]*)" hreflang="(\w+)" class="md-select__link"', html))
    assert set(switch) == {"en", "ja"}, f"{lang}/{page}: no language switch"
    assert _resolve(lang, page, switch[other]) == LANGS[other] + _url(page)
    _html(site, other, page)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", LANGS)
def test_every_page_links_the_glossary_in_its_text(site, page, lang):
    if page == "glossary.md":
        return
    html = _html(site, lang, page)
    article = html[html.index('<article class="md-content__inner'):html.index("</article>")]
    links = {_resolve(lang, page, href) for href in re.findall(r'<a href="([^"]*)"', article)}
    assert LANGS[lang] + "glossary/" in links, f"{lang}/{page}: no link to the glossary"


def test_the_search_index_is_set_up_for_japanese(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "ja" in index["config"]["lang"]     # material then loads its Japanese segmenter
    assert re.compile(index["config"]["separator"]).split("勾配消失、バッチ正規化。") == [
        "勾配消失", "バッチ", "正規化", ""]
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {"ja/" + _url(p) for p in PAGES} <= locations     # both languages are indexed
    assert {_url(p) for p in PAGES} <= locations


# Japanese words as a learner types them (within a sentence, a part of a compound, kanji
# and katakana together) and the page where the learner expects them.
JAPANESE_QUERIES = {
    "勾配消失": "ja/course/1-vanishing-gradient/",
    "消失": "ja/experiments/vanishing-gradient/",
    "バッチ正規化": "ja/experiments/batch-norm/",
    "確認テスト": "ja/course/",
    "データ拡張": "ja/experiments/augmentation/",
    "荷重減衰": "ja/experiments/overfitting/",
    "誤差逆伝播法": "ja/glossary/",
    "畳み込み": "ja/course/4-cnn/",
}


def test_japanese_search_finds_japanese_words(site):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("Node.js is not installed: the site's search (JavaScript) cannot run here")
    run = subprocess.run([node, str(ROOT / "tests" / "site_search.js"), str(site),
                          *JAPANESE_QUERIES], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    for query, page in JAPANESE_QUERIES.items():
        assert page in [loc.split("#")[0] for loc in found[query]], (query, found[query][:5])
