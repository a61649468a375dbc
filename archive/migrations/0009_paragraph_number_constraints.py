"""The database refuses a paragraph number below 1 (a 0-based one written by old code).

Apart from 0008, whose updates PostgreSQL must commit before the tables are altered.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0008_paragraphs_numbered_from_1"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("paragraph__isnull", True), ("paragraph__gte", 1), _connector="OR"
                ),
                name="mention_paragraph_numbered_from_1",
            ),
        ),
        migrations.AddConstraint(
            model_name="quote",
            constraint=models.CheckConstraint(
                condition=models.Q(("paragraph__gte", 1)), name="quote_paragraph_numbered_from_1"
            ),
        ),
    ]
