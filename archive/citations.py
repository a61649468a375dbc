"""How to cite an archived article (or one paragraph of it) in one line."""

from dataclasses import asdict, dataclass

from archive.models import Article
from archive.paragraphs import anchor


@dataclass(frozen=True)
class Citation:
    title: str
    source: str
    date: str
    original_url: str
    permalink: str
    captured: str
    sha256: str

    @property
    def text(self) -> str:
        parts = [f"{self.source}.", f"“{self.title}”.", self.date.rstrip(".") + "."]
        if self.original_url:
            parts.append(f"{self.original_url}.")
        archived = f"Archived copy: {self.permalink}"
        if self.captured:
            archived += f" (captured {self.captured})"
        parts.append(archived + ".")
        parts.append(f"SHA-256: {self.sha256}.")
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {**asdict(self), "text": self.text}


def cite(article: Article, article_url: str, paragraph: int | None = None) -> Citation:
    """The citation of `article`, whose absolute URL is `article_url`, or of its paragraph
    numbered `paragraph`."""
    return Citation(
        title=article.title,
        source=article.source.name if article.source_id else "source unknown",
        date=f"{article.published_on:%-d %B %Y}" if article.published_on else "n.d.",
        original_url=article.original_url or "",
        permalink=f"{article_url}#{anchor(paragraph)}" if paragraph else article_url,
        captured=f"{article.captured_at:%-d %B %Y}" if article.captured_at else "",
        sha256=article.body_sha256,
    )
