"""Audit rows are append-only on PostgreSQL: a trigger refuses UPDATE and DELETE.

The one exception is the retention purge, which deletes rows older than the
cut-off of an ``access_auditpurgepermit`` row it writes in the same
transaction. SQLite, the embedded single-user database, has no such guard:
whoever can run CXM there can edit the database file itself.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION access_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM access_auditpurgepermit AS permit WHERE OLD.at < permit.before
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'CXM audit rows are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER access_auditevent_append_only
    BEFORE UPDATE OR DELETE ON access_auditevent
    FOR EACH ROW EXECUTE FUNCTION access_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS access_auditevent_append_only ON access_auditevent;
DROP FUNCTION IF EXISTS access_audit_append_only();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
