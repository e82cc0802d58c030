"""The stage rules CXM starts with; administrators change them like any other."""

from django.db import migrations

DEFAULT_RULES = [
    # (position, name, trigger, match, milestone_key, days, from_stages, to_stage)
    (10, "An active account in the CRM", "interaction",
     {"attributes": {"account_status": "active"}}, "", None, [""], "steady"),
    (20, "Sale recorded", "sale", {}, "", None, ["", "prospect"], "sale"),
    (30, "Sale after leaving", "sale", {}, "", None, ["churned"], "won_back"),
    (40, "First onboarding milestone", "milestone", {}, "", None, ["sale", "won_back"],
     "onboarding"),
    (50, "First value reached", "milestone", {}, "first_value", None,
     ["sale", "onboarding", "won_back"], "adoption"),
    (60, "Settled in after 90 days", "days_in_stage", {}, "", 90, ["adoption"], "steady"),
    (70, "Talking about renewal", "interaction",
     {"direction": "inbound", "topic": "contract_renewal"}, "", None, ["adoption", "steady"],
     "renewal"),
    (80, "Contract renewed", "interaction",
     {"attributes": {"event": ["renewed", "contract_renewed"]}}, "", None, ["renewal"], "steady"),
    (90, "Account closed", "interaction",
     {"attributes": {"event": ["cancelled", "account_closed", "churned"]}}, "", None, [],
     "churned"),
]


def create(apps, schema_editor):
    StageRule = apps.get_model("journeys", "StageRule")
    if StageRule.objects.exists():
        return
    for position, name, trigger, match, key, days, from_stages, to_stage in DEFAULT_RULES:
        StageRule.objects.create(
            position=position,
            name=name,
            trigger=trigger,
            match=match,
            milestone_key=key,
            days=days,
            from_stages=from_stages,
            to_stage=to_stage,
        )


def remove(apps, schema_editor):
    StageRule = apps.get_model("journeys", "StageRule")
    StageRule.objects.filter(name__in=[rule[1] for rule in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("journeys", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
