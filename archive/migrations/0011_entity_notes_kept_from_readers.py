"""An entity's description was shown to readers but written as editors' notes ("(seed 002)"):
it becomes `notes`, never shown publicly, beside an empty `public_description`."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0010_alias_scope"),
    ]

    operations = [
        migrations.RenameField(model_name="entity", old_name="description", new_name="notes"),
        migrations.RenameField(
            model_name="historicalentity", old_name="description", new_name="notes"
        ),
        migrations.AlterField(
            model_name="entity",
            name="notes",
            field=models.TextField(
                blank=True,
                help_text="Never shown on public pages: sources of the facts, doubts, work to do.",
                verbose_name="notes for editors",
            ),
        ),
        migrations.AlterField(
            model_name="historicalentity",
            name="notes",
            field=models.TextField(
                blank=True,
                help_text="Never shown on public pages: sources of the facts, doubts, work to do.",
                verbose_name="notes for editors",
            ),
        ),
        migrations.AddField(
            model_name="entity",
            name="public_description",
            field=models.TextField(
                blank=True,
                help_text="Shown to readers on the entity's page: one or two sentences written "
                "for them, with no notes for editors.",
            ),
        ),
        migrations.AddField(
            model_name="historicalentity",
            name="public_description",
            field=models.TextField(
                blank=True,
                help_text="Shown to readers on the entity's page: one or two sentences written "
                "for them, with no notes for editors.",
            ),
        ),
    ]
