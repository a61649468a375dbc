"""Where haystack looks for an app's indexes; they live in archive.search.indexes."""

from archive.search.indexes import ArticleIndex, QuoteIndex

__all__ = ["ArticleIndex", "QuoteIndex"]
