"""Records a system sent carry no sentiment: clear any scored before that rule."""

from django.db import migrations


def unscore(apps, schema_editor):
    Interaction = apps.get_model("interactions", "Interaction")
    Interaction.objects.filter(automated=True).exclude(sentiment_label="").update(
        sentiment_label="", sentiment_score=None, sentiment_model=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0006_interaction_automated"),
    ]

    operations = [migrations.RunPython(unscore, migrations.RunPython.noop)]
