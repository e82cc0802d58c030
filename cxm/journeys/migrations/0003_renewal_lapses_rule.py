"""A customer who talked about renewal and whose renewal no system recorded is, 60
days on, back in steady service (the contract rolled on): without it they would
stay in the renewal stage for good. Added only where CXM's default rules are in
place; a taxonomy someone rebuilt is theirs."""

from django.db import migrations

NAME = "Renewal talk lapsed after 60 days"


def create(apps, schema_editor):
    StageRule = apps.get_model("journeys", "StageRule")
    if not StageRule.objects.filter(name="Talking about renewal").exists():
        return
    if StageRule.objects.filter(name=NAME).exists():
        return
    StageRule.objects.create(
        position=85,
        name=NAME,
        trigger="days_in_stage",
        match={},
        milestone_key="",
        days=60,
        from_stages=["renewal"],
        to_stage="steady",
    )


def remove(apps, schema_editor):
    apps.get_model("journeys", "StageRule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("journeys", "0002_default_stage_rules")]

    operations = [migrations.RunPython(create, remove)]
