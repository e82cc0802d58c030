from django.db import models


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses in which a case is still the customer's open issue: a new message on
# the same topic joins it.
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING)
# Statuses in which a case waits for the company and so sits in the queue.
QUEUE_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN)

# Who may move a case from one status to another by hand.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED}),
    CaseStatus.OPEN: frozenset({CaseStatus.WAITING, CaseStatus.RESOLVED}),
    CaseStatus.WAITING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Urgency(models.TextChoices):
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Priority(models.IntegerChoices):
    URGENT = 1, "P1 urgent"
    HIGH = 2, "P2 high"
    NORMAL = 3, "P3 normal"
    LOW = 4, "P4 low"


class SlaMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    MESSAGE = "message", "Customer wrote"
    REPLY = "reply", "Answered"
    STATUS = "status", "Status changed"
    PRIORITY = "priority", "Priority changed"
    ASSIGNED = "assigned", "Assigned"
    SPLIT = "split", "Split"
    MERGED = "merged", "Merged"
    SLA_AT_RISK = "sla_at_risk", "Service level at risk"
    SLA_BREACHED = "sla_breached", "Service level breached"
    SLA_MET = "sla_met", "Service level met"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
