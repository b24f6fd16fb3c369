"""Text a student controls, made inert in each medium a report is written in.

Messages quote the values a student's code returned and the exceptions it raised; warnings quote the
notebook's metadata; the notebook's file name is the student's. None of it may act on whoever reads a
report: post Markdown with the staff's token, close an XML document, move a terminal's cursor. One rule
per medium, applied where each format writes such text:

- every medium: :func:`visible` — each character that acts instead of showing (C0 and C1 controls but
  newline and tab, DEL, the bidirectional overrides and isolates, line and paragraph separators, lone
  surrogates, U+FFFE/U+FFFF) becomes a visible escape such as ``\\x1b``, so an escape sequence is shown, not run;
- JUnit XML: :func:`xml` (what :func:`visible` escapes covers every character XML 1.0 forbids);
- a rich console: :func:`rich` (visible, then rich's markup escaped); plain terminal lines: :func:`visible`;
- Markdown: a student's text only inside code — :func:`fence` for a block, :func:`code_span` inline, each
  delimited by a backtick run longer than any the text holds — so no HTML, image, link, heading, emoji
  shortcode, issue reference or ``@``-mention of theirs is drawn (GitHub links none inside code);
- HTML: :func:`html`.
"""

from __future__ import annotations

import html as _html
import re

# C0 controls but tab and newline, DEL, C1 controls; bidi marks, embeddings, overrides, isolates; line and
# paragraph separators; surrogates (a lone one cannot be encoded); the two non-characters XML forbids
_ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\r": "\\r", "\x1b": "\\x1b"}
_BACKTICKS = re.compile(r"`+")
# an identifier (lab ids, check ids): nothing in it that Markdown would draw
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
TABLE_PIPE = "│"  # a pipe cannot sit safely inside a table cell's code span: shown as a box-drawing bar


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every character that would act on a reader (a terminal, an XML parser, a bidi-aware
    display) written as a visible escape; newlines and tabs kept, ``\\r\\n`` read as a newline."""
    return _ACTIVE.sub(_escape, str(text).replace("\r\n", "\n"))


def one_line(text: object) -> str:
    """:func:`visible`, on one line: every run of whitespace one space."""
    return " ".join(visible(text).split())


def xml(text: object) -> str:
    """Text for an XML attribute or element: nothing XML 1.0 forbids, nothing a terminal would run."""
    return visible(text)


def rich(text: object) -> str:
    """Text for rich's ``console.print``: visible, and rich's ``[style]`` markup escaped."""
    from rich.markup import escape

    return escape(visible(text))


def html(text: object) -> str:
    """Text for HTML, in an element or an attribute value (quotes escaped)."""
    return _html.escape(visible(text), quote=True)


def _fence_for(text: str, least: int) -> str:
    return "`" * max(least, max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)


def fence(text: object, info: str = "text") -> str:
    """``text`` as a fenced Markdown code block whose fence is longer than any backtick run in it."""
    body = visible(text)
    ticks = _fence_for(body, 3)
    return f"{ticks}{info}\n{body}\n{ticks}"


def code_span(text: object, table: bool = False) -> str:
    """``text`` as one inline Markdown code span (whitespace runs made one space: a blank line would end the
    paragraph and the span with it). In a table cell (``table``) a pipe is shown as ``│``."""
    body = one_line(text)
    if table:
        body = body.replace("|", TABLE_PIPE)
    if not body:
        return ""
    ticks = _fence_for(body, 1)
    pad = " " if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ")) else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def md_inline(text: object, table: bool = False) -> str:
    """An identifier as it is (a lab or check id draws as itself); anything else as a :func:`code_span`."""
    value = str(text)
    return value if _PLAIN.fullmatch(value) else code_span(value, table)


def quote(block: str) -> list[str]:
    """The lines of ``block`` inside a Markdown block quote (a fenced block stays whole inside it)."""
    return [f"> {line}" if line else ">" for line in block.split("\n")]
