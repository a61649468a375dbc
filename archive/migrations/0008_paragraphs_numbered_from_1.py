"""Paragraph numbers as readers see them: the stored ones move from 0-based to ¶1 first.

Tags and quotes, and their history (so that restoring an old version from the
History page puts it at the right paragraph). A tag of the whole article has
no paragraph and keeps none. Reversible: going back subtracts one again.
"""

import django.core.validators
from django.db import migrations, models
from django.db.models import F

NUMBERED = ["Mention", "HistoricalMention", "Quote", "HistoricalQuote"]


def _shift(apps, by: int) -> None:
    for name in NUMBERED:
        model = apps.get_model("archive", name)
        # NULL + 1 is NULL: a whole-article tag stays one.
        model._base_manager.update(paragraph=F("paragraph") + by)


def number_from_one(apps, schema_editor):
    _shift(apps, 1)


def number_from_zero(apps, schema_editor):
    _shift(apps, -1)


MENTION_HELP = "The paragraph as readers see it (¶1 is the first); empty for a whole-article tag."
QUOTE_HELP = "The paragraph as readers see it (¶1 is the first), as for mentions."
FROM_ONE = [django.core.validators.MinValueValidator(1)]


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0007_article_length_limit"),
    ]

    operations = [
        migrations.RunPython(number_from_one, number_from_zero),
        migrations.AlterField(
            model_name="historicalmention",
            name="paragraph",
            field=models.PositiveIntegerField(
                blank=True, help_text=MENTION_HELP, null=True, validators=FROM_ONE
            ),
        ),
        migrations.AlterField(
            model_name="historicalquote",
            name="paragraph",
            field=models.PositiveIntegerField(help_text=QUOTE_HELP, validators=FROM_ONE),
        ),
        migrations.AlterField(
            model_name="mention",
            name="paragraph",
            field=models.PositiveIntegerField(
                blank=True, help_text=MENTION_HELP, null=True, validators=FROM_ONE
            ),
        ),
        migrations.AlterField(
            model_name="quote",
            name="paragraph",
            field=models.PositiveIntegerField(help_text=QUOTE_HELP, validators=FROM_ONE),
        ),
    ]
