"""Chinese and Japanese text: each Han ideograph and kana is a word, so a name is found inside a
run of characters written without spaces (search itself: tests/test_search.py); quotes stored
before keep what is derived from their words in line (migration 0017)."""

import pytest
from django.core.management import call_command
from test_paragraph_numbers import migrate_to

from archive.quotes.normalise import normalise_quote, quote_key, shingles
from archive.search.text import terms, words_as_written

BEFORE = ("archive", "0016_original_checks_kept_from_deleted_articles")
AFTER = ("archive", "0017_quotes_renormalised_for_cjk")


def test_each_cjk_letter_is_a_word_and_other_scripts_keep_their_words():
    text = "党委书记陈全国说 China’s Ürümqi ニュース・カタカナ 한국어 foo_bar"
    assert words_as_written(text) == [
        *"党委书记陈全国说",
        "China's",
        "Ürümqi",
        *"ニュース",  # ・ (U+30FB) is punctuation, not a word
        *"カタカナ",
        "한국어",
        "foo_bar",
    ]
    assert terms("陈全国的讲话") == ["陈", "全", "国", "的", "讲", "话"]
    assert normalise_quote("「我们要严打」") == "我 们 要 严 打"


@pytest.fixture
def before_cjk_words(transactional_db):
    apps = migrate_to(BEFORE)
    yield apps
    call_command("migrate", verbosity=0)


def test_the_migration_makes_the_derived_fields_of_quotes_with_cjk_again(before_cjk_words):
    apps = before_cjk_words
    Article, Quote, QuoteShingle = (
        apps.get_model("archive", name) for name in ("Article", "Quote", "QuoteShingle")
    )
    article = Article.objects.create(title="Said", slug="said", body="x")
    place = {"article": article, "paragraph": 1, "start": 0, "end": 5}
    # As the code before made them: a run of characters was one word.
    cjk = Quote.objects.create(
        text="党委书记陈全国说，我们要严打。",
        normalised_text="党委书记陈全国说 我们要严打",
        key=quote_key("党委书记陈全国说 我们要严打"),
        shingle_count=1,
        **place,
    )
    QuoteShingle.objects.create(quote=cjk, hash=12345)
    # A quote without such characters is left alone, whatever its fields hold.
    latin = Quote.objects.create(
        text="We were asked to spy",
        normalised_text="left as it was",
        key="k" * 40,
        shingle_count=7,
        **place,
    )
    QuoteShingle.objects.create(quote=latin, hash=678)

    apps = migrate_to(AFTER)
    Quote, QuoteShingle = (apps.get_model("archive", name) for name in ("Quote", "QuoteShingle"))
    made = Quote.objects.get(pk=cjk.pk)
    words = "党 委 书 记 陈 全 国 说 我 们 要 严 打"
    assert (made.normalised_text, made.key, made.shingle_count) == (
        words,
        quote_key(words),
        len(shingles(words)),
    )
    assert set(QuoteShingle.objects.filter(quote=made).values_list("hash", flat=True)) == set(
        shingles(words)
    )
    kept = Quote.objects.get(pk=latin.pk)
    assert (kept.normalised_text, kept.key, kept.shingle_count) == ("left as it was", "k" * 40, 7)
    assert list(QuoteShingle.objects.filter(quote=kept).values_list("hash", flat=True)) == [678]
