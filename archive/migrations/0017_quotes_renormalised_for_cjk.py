"""Quotes with Chinese or Japanese characters get their derived fields made again.

archive.search.text now takes each Han ideograph and kana as a word of its own
(a run of them was one word). A quote's normalised text, its key (how a
rejected quote stays rejected when its article is extracted again) and its runs
of five words (near-quote tracing) are derived from those words, so the quotes
containing such characters have them made again here, with the code's own
functions, as `Quote.refresh_normalised` and `store_shingles` make them. Other
quotes are unchanged: their words are the same. Going back leaves them as they
are (the code before would still find such quotes by place).
"""

from django.db import migrations

CHUNK = 2_000


def renormalise_quotes_with_cjk(apps, schema_editor):
    from archive.quotes.normalise import normalise_quote, quote_key, shingles
    from archive.search.text import CJK_CHARACTER

    Quote = apps.get_model("archive", "Quote")
    QuoteShingle = apps.get_model("archive", "QuoteShingle")

    changed = []
    for quote in Quote.objects.only("pk", "text").iterator(chunk_size=CHUNK):
        if CJK_CHARACTER.search(quote.text):
            changed.append(quote.pk)
    for start in range(0, len(changed), CHUNK):
        quotes = list(Quote.objects.filter(pk__in=changed[start : start + CHUNK]))
        for quote in quotes:
            quote.normalised_text = normalise_quote(quote.text)
            quote.key = quote_key(quote.normalised_text)
            quote.shingle_count = len(shingles(quote.normalised_text))
        Quote.objects.bulk_update(quotes, ["normalised_text", "key", "shingle_count"])
        QuoteShingle.objects.filter(quote__in=quotes).delete()
        QuoteShingle.objects.bulk_create(
            QuoteShingle(quote_id=quote.pk, hash=value)
            for quote in quotes
            for value in sorted(shingles(quote.normalised_text))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0016_original_checks_kept_from_deleted_articles"),
    ]

    operations = [
        migrations.RunPython(renormalise_quotes_with_cjk, migrations.RunPython.noop),
    ]
