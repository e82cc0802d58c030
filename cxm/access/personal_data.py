"""The access app's own tables hold staff data, not customers' personal data."""

from cxm.access import privacy
from cxm.access.models import AuditEvent, AuditPurgePermit, Membership, ScheduledRun, Team

privacy.declare_not_personal(Team, reason="a group of staff")
privacy.declare_not_personal(Membership, reason="a staff member's role")
privacy.declare_not_personal(
    AuditEvent,
    reason="who did what to which object, by id; its detail never holds personal data "
    "(checked by test_audit_details_hold_no_personal_data)",
)
privacy.declare_not_personal(AuditPurgePermit, reason="a cut-off date")
privacy.declare_not_personal(ScheduledRun, reason="when a periodic job last ran")
