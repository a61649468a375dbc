"""Tags as the tagger before the rules of docs/entities.md left them: an archive tagged then
keeps them until `manage.py retag_articles`, and editors clear them by hand."""

import re

from archive.models import Entity, Mention
from archive.paragraphs import numbered
from archive.search.indexing import index_articles


def tag_every_occurrence(article, slug: str, word: str):
    """An automatic tag of the entity at every `word` of the article, the ones inside longer
    names ("Bank of China") too; the article indexed again. Returns the article."""
    entity = Entity.objects.get(slug=slug)
    tagged = set(article.mentions.filter(entity=entity).values_list("paragraph", "start"))
    for number, text in numbered(article.paragraphs):
        for match in re.finditer(rf"\b{re.escape(word)}\b", text):
            if (number, match.start()) not in tagged:
                Mention.objects.create(
                    article=article,
                    entity=entity,
                    surface=word,
                    paragraph=number,
                    start=match.start(),
                    end=match.end(),
                    origin=Mention.Origin.AUTOMATIC,
                )
    index_articles([article.pk])
    return article
