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


def _unquoted(text):
    """The text without code and without what it quotes from the course (「...」), where
    the sources' own words stay as they are."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.sub(r"「[^」]*」", "「」", text)


# The course's terms, one spelling each (the variants a literal translation brought in).
BANNED_JA = {
    "正答率": "正解率", "組み込み": "同梱", "畳込み": "畳み込み", "チャンネル": "チャネル",
    "識別機": "識別器", "太字": "線の太い", "同値": "最大値が複数", "**shown**": "**確認できた**",
    "**not shown**": "**確認できなかった**", "示された": "確認できた",
}
LINEAR_INTERP = re.compile(r"(?<!双)線形補間")


@pytest.mark.parametrize("page", JA_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_japanese_uses_the_course_terms(page):
    text = _unquoted(page.read_text(encoding="utf-8"))
    found = [f"{bad} → {good}" for bad, good in BANNED_JA.items() if bad in text]
    if LINEAR_INTERP.search(text):
        found.append("線形補間 → 双線形補間 (bilinear)")
    assert not found, f"{page.name}: {found}"


# Plain-form (だ・である) sentence endings; the pages speak in です・ます.
PLAIN_ENDINGS = re.compile(
    r"(?:である|(?<![でう])だ|する|(?<![まで])した|いる|ない|なる|れる|った|(?<!ょ)う)。")


@pytest.mark.parametrize("page", JA_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_japanese_speaks_in_desu_masu(page):
    text = _unquoted(page.read_text(encoding="utf-8"))
    found = sorted({m.group(0) for m in PLAIN_ENDINGS.finditer(text)})
    assert not found, f"{page.name}: sentences end in {found}; write です・ます"


KANA = re.compile(r"[\u3040-\u30ff]")


@pytest.mark.parametrize("page", sorted((DOCS / "en").rglob("*.md")),
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_english_pages_translate_their_japanese_quotes(page):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    quotes = [q for q in re.findall(r'"([^"\n]*(?:\n[^"\n]*)?)"', text) if KANA.search(q)]
    assert not quotes, f"{page.name}: translate {quotes}"


def _structure(page):
    """Heading levels, and the code blocks without comments and string contents (a
    Japanese label or comment is the page's language; the code is the same)."""
    import io
    import tokenize

    text = page.read_text(encoding="utf-8")
    headings = [len(m.group(1)) for m in re.finditer(r"^(#+) ", re.sub(
        r"```.*?```", "", text, flags=re.S), re.M)]
    blocks = []
    for lang, code in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        if lang != "python":
            blocks.append(lang)
            continue
        toks = [("S" if t.type == tokenize.STRING else t.string)
                for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                                  tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
                and t.type != getattr(tokenize, "FSTRING_MIDDLE", None)]
        blocks.append("python:" + " ".join(toks))
    return headings, blocks


def test_both_languages_have_the_same_pages():
    en = sorted(p.relative_to(DOCS / "en") for p in (DOCS / "en").rglob("*.md"))
    ja = sorted(p.relative_to(DOCS / "ja") for p in (DOCS / "ja").rglob("*.md"))
    assert en == ja


@pytest.mark.parametrize("page", sorted((DOCS / "en").rglob("*.md")),
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_both_languages_have_the_same_headings_and_code(page):
    other = DOCS / "ja" / page.relative_to(DOCS / "en")
    en_headings, en_blocks = _structure(page)
    ja_headings, ja_blocks = _structure(other)
    assert en_headings == ja_headings, "the same heading levels, in the same order"
    assert len(en_blocks) == len(ja_blocks)
    for i, (a, b) in enumerate(zip(en_blocks, ja_blocks, strict=True)):
        if a.startswith("python:") or b.startswith("python:"):
            assert a == b, f"python block {i} differs between en and ja"
