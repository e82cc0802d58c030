"""The database cache table, which holds the rate-limit and lockout counters."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS cxm_cache")


class Migration(migrations.Migration):
    dependencies = [("access", "0002_audit_append_only")]

    operations = [migrations.RunPython(create, drop)]
