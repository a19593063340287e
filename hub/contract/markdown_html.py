"""Markdown of the hub's own texts (docstrings, field descriptions, topics.yaml) as HTML, safely.

The descriptions are written as Markdown (docs/messages.md shows them as such); a page that prints
them escaped shows `**` and backticks instead of emphasis and code. markdown-it-py renders
CommonMark with raw HTML off: `<script>` or `<img onerror=...>` written in a description comes out
as text. Links keep markdown-it's own check (no `javascript:`, `vbscript:`, `file:` or `data:`
target); images are off, so a page built from descriptions still fetches nothing.
"""

from __future__ import annotations

from typing import Final

from markdown_it import MarkdownIt

_MARKDOWN: Final = MarkdownIt("commonmark", {"html": False}).disable("image")


def markdown_html(text: str) -> str:
    """The HTML of `text` (block elements: paragraphs, lists, code), every character of it escaped."""
    return str(_MARKDOWN.render(text)).strip()


def markdown_inline_html(text: str) -> str:
    """The same for a text shown within a line: emphasis, code and links, no paragraphs."""
    return str(_MARKDOWN.renderInline(text)).strip()
