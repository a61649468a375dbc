"""Turn received text into an article's paragraphs without page boilerplate, and derive titles."""

import re

from archive.sentences import first_sentence

# Lines a web page adds around an article. Only whole lines that match exactly
# (ignoring case and spacing) are removed: never a sentence of the article.
BOILERPLATE_LINES = frozenset(
    line.casefold()
    for line in (
        "Connect with us",
        "Published",
        "Published on",
        "Continue Reading",
        "Click to comment",
        "Trending",
        "Share this:",
        "Like this:",
        "Like Loading...",
        "Like Loading…",
    )
)
EMAIL_NOTICE = re.compile(
    r"your email address will not be published\.?( required fields are marked \*)?"
)

# Where the article ends and the page's recommendations, comment form or
# like-buttons begin; everything from such a line on is cut, because what
# follows can be another article or readers' comments.
END_OF_ARTICLE_LINES = frozenset(
    line.casefold() for line in ("You may like", "Leave a Reply", "%d bloggers like this:")
)

# WordPress names resized images "<name>-scaled.jpg"; the page text keeps the
# image's name as a line such as "ughyurs scaled".
IMAGE_NAME = re.compile(r"[\w-]+(?: [\w-]+){0,3} scaled")

SENTENCE_END = r"[.!?:][\"”’')\]]*"
# Two or more spaces after a sentence: how paragraphs run together in some
# newswire bodies ("…for comment.  Apple Chief Executive…").
RUN_TOGETHER_PARAGRAPHS = re.compile(r"(?<=[.!?])([\"”’')\]]*)[ \t\u00a0]{2,}(?=[\"“‘(]?[A-Z])")
ENDS_SENTENCE = re.compile(rf".*{SENTENCE_END}$")
INDENTED = re.compile(r"^(?: {2,}|\t)\S")

TITLE_LIMIT = 100


def collapse_spaces(line: str) -> str:
    return " ".join(line.split())


def is_boilerplate(line: str) -> bool:
    """True for a whole line that a web page adds around any article."""
    key = collapse_spaces(line).casefold()
    return (
        key in BOILERPLATE_LINES
        or EMAIL_NOTICE.fullmatch(key) is not None
        or IMAGE_NAME.fullmatch(collapse_spaces(line)) is not None
    )


def is_end_of_article(line: str) -> bool:
    return collapse_spaces(line).casefold() in END_OF_ARTICLE_LINES


def clean_body(text: str) -> list[str]:
    """The article's paragraphs, without page boilerplate and without what follows the article."""
    kept = []
    after_published = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if is_end_of_article(line):
            break
        words = collapse_spaces(line).casefold()
        # WordPress prints "Published" and then "on" on lines of their own; a
        # lone "on" anywhere else is left alone.
        removed = is_boilerplate(line) or (words == "on" and after_published)
        if words:
            after_published = words == "published"
        # A removed line becomes a blank one, so it separates rather than joins its neighbours.
        kept.append("" if removed else line)
    return split_paragraphs("\n".join(kept))


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text, each on one line with its spacing collapsed.

    Blank lines always separate paragraphs. Within a block of consecutive
    lines, lines that each end a sentence are paragraphs of their own (text
    saved from a web page, one paragraph per line); otherwise the block is
    hard-wrapped prose whose lines are joined, and an indented line starts a
    new paragraph.
    """
    paragraphs = []
    for block in re.split(r"\n[^\S\n]*\n", text):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(ENDS_SENTENCE.match(line.strip()) for line in lines[:-1]):
            joined = lines
        else:
            joined = [lines[0]]
            for line in lines[1:]:
                if INDENTED.match(line):
                    joined.append(line)
                else:
                    joined[-1] += " " + line
        for paragraph in joined:
            paragraphs.extend(RUN_TOGETHER_PARAGRAPHS.sub("\\1\n", paragraph).split("\n"))
    return [collapse_spaces(p) for p in paragraphs if p.strip()]


def derive_title(lead: str) -> str:
    """A title from the lead's first sentence, cut at a word to at most TITLE_LIMIT characters."""
    sentence = collapse_spaces(first_sentence(lead))
    if len(sentence) <= TITLE_LIMIT:
        if re.search(r"[a-z0-9]\.$", sentence):
            sentence = sentence[:-1]
        return sentence
    head = sentence[: TITLE_LIMIT - 1]
    if not sentence[TITLE_LIMIT - 1].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:–—-") + "…"
