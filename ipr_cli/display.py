"""The one helper that makes text safe to show on a terminal (messages, warnings, cells).

Data reaches the screen in error messages (a header, a file name, an id as typed),
warnings and table cells.  An escape sequence in any of them could set the clipboard
(``ESC ]52``), type a reply into the shell (``ESC [6n``) or reorder what the officer
reads (bidi overrides), so every such character is shown as a visible escape instead.
"""

from __future__ import annotations

import unicodedata

_SPACE_LIKE = {"\n": " ", "\r": " ", "\t": " ", "\x0b": " ", "\x0c": " "}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Text safe to show on a terminal or a page.

    Line breaks and tabs become spaces (kept, with ``keep_newlines``, for messages of
    several lines).  Other control and format characters — escape sequences, C0/C1
    controls, bidi overrides, zero-width characters, lone surrogates — are shown as
    ``\\xNN`` / ``\\uNNNN``: they could rewrite the screen or hide a disguise, and an
    officer should see that they are there.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif ch in _SPACE_LIKE:
            out.append(" ")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) == "Zs":  # other spaces are fine to show
            out.append(ch)
        else:
            code = ord(ch)
            out.append("\\x%02x" % code if code < 0x100 else "\\u%04x" % code if code < 0x10000 else "\\U%08x" % code)
    return "".join(out)
