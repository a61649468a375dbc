"""Suggested new entities: capitalised names the articles use that no entity spells yet."""

import io

import pytest
from django.core.management import call_command

from archive.entities.matching import NameFinder, entity_spellings
from archive.entities.suggestions import Suggestion, names_in, suggest_entities
from archive.models import Article, Entity

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds(seed_dir):
    call_command("loaddata", "fixtures/entities.json", verbosity=0)
    call_command("import_articles", str(seed_dir), "--quiet", stdout=io.StringIO())
    return {article.external_id[:3]: article for article in Article.objects.all()}


def test_names_the_vocabulary_lacks_are_suggested_most_widespread_first(seeds):
    Entity.objects.filter(name__in=["Abduweli Ayup", "Safeguard Defenders"]).delete()

    suggestions = suggest_entities(Article.objects.all())

    by_name = {s.name: s for s in suggestions}
    assert by_name["Abduweli Ayup"] == Suggestion("Abduweli Ayup", 1, 1, seeds["004"].pk)
    # Written three times, once as "the NGO Safeguard Defenders".
    safeguard = Suggestion("Safeguard Defenders", 1, 3, seeds["003"].pk)
    assert by_name["Safeguard Defenders"] == safeguard
    names = [s.name for s in suggestions]
    assert names.index("Safeguard Defenders") < names.index("Abduweli Ayup")
    ranks = [(-s.articles, -s.occurrences) for s in suggestions]
    assert ranks == sorted(ranks)


def test_known_names_and_capitalised_function_words_are_not_suggested(seeds):
    names = {s.name for s in suggest_entities(Article.objects.all(), limit=1000)}
    assert "Abduweli Ayup" not in names
    assert not names & {"Xi Jinping", "World Uyghur Congress", "Turdi", "Uighurs", "WUC"}
    assert not names & {"The", "However", "According", "They", "He", "On", "But"}
    assert not names & {"Deleting", "Officials", "Information"}  # only ever starting sentences
    assert "NGO Safeguard Defenders" not in names


def test_limit_cuts_the_list(seeds):
    assert len(suggest_entities(Article.objects.all(), limit=3)) == 3


def test_what_counts_as_a_name():
    vocabulary = NameFinder(entity_spellings(1, "Xinjiang", []))
    body = (
        "However, Police Chief Ali Osman of Kashgar said the police in Xinjiang had acted. "
        "The Ministry of Public Security’s office agreed, said Osman’s deputy. "
        "I've seen it, Deputy said.\n\nA Heading In Title Case Only"
    )
    assert names_in(body, vocabulary) == [
        "Police Chief Ali Osman of Kashgar",
        "Ministry of Public Security",
        "Osman",
    ]
