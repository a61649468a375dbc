"""Text that editors type or files supply, made plain at the edge: LF line ends, no controls.

Browsers send a textarea's text with CRLF line ends; files bring CR, form
feeds and stray control characters (an escape, a backspace, DEL) that no
reader can see and that XML, and so every Atom feed, refuses. Every admin
form field and every imported record passes through here before anything
checks or stores it, so that paragraph numbers, hashes and quote positions
are computed on the same text that is kept.
"""

import re

# Line breaks of other systems and page breaks become LF.
_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# C0 controls but tab and LF, and DEL: invisible, and not allowed in XML 1.0
# (DEL is, but it is never meant). The non-characters U+FFFE and U+FFFF are not
# allowed in XML either.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f\ufffe\uffff]")


def supplied_text(text: str) -> str:
    """Multi-line text with LF line ends and no control characters; tabs kept."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))


def supplied_line(text: str) -> str:
    """One line: control characters dropped, every run of white space one space, trimmed."""
    return " ".join(supplied_text(text).split())


def control_characters(text: str) -> list[str]:
    """The control characters that `supplied_text` drops from `text`, named as U+XXXX."""
    found = dict.fromkeys(_CONTROLS.findall(_LINE_BREAKS.sub("\n", text)))
    return [f"U+{ord(character):04X}" for character in found]
