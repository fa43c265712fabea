"""mkdocs hook: a line at the foot of every page that links the glossary and the sources,
in the page's language (the pages live in docs/en and docs/ja). It is added to the
Markdown, so `mkdocs build --strict` checks the links like any other."""
import posixpath

FOOTER = {
    "en": "Terms: [Glossary]({glossary}) · where the material comes from: [Sources]({sources})",
    "ja": "用語は [用語集]({glossary})、資料の出どころは [出典]({sources}) にあります。",
}


def footer(src_uri):
    """The glossary line for the page at ``src_uri`` (relative to docs/), or None."""
    lang, _, rest = src_uri.partition("/")
    if lang not in FOOTER or rest in ("glossary.md",):
        return None
    here = posixpath.dirname(rest) or "."
    rel = lambda name: posixpath.relpath(name, here)  # noqa: E731
    return FOOTER[lang].format(glossary=rel("glossary.md"), sources=rel("sources.md"))


def on_page_markdown(markdown, page, config, files):
    line = footer(page.file.src_uri)
    return markdown if line is None else f"{markdown.rstrip()}\n\n---\n\n*{line}*\n"
