from django.db import models


class PromiseKind(models.TextChoices):
    DELIVERY = "delivery", "Delivery date"
    INSTALLATION = "installation", "Installation date"
    FEATURE = "feature", "Feature or capability"
    SERVICE_LEVEL = "service_level", "Service level"
    PRICE = "price", "Price"
    CALL_BACK = "call_back", "Call-back"
    FIX = "fix", "Fix by a release"
    VALUE_TARGET = "value_target", "Value target"
    OTHER = "other", "Other"


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    AT_RISK = "at_risk", "At risk"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    RENEGOTIATED = "renegotiated", "Renegotiated"


# Promises still to be kept: the sweep watches them, evidence can keep them.
PENDING_STATUSES = (PromiseStatus.OPEN, PromiseStatus.AT_RISK)
# Promises whose outcome is known: what keeping rates count.
SETTLED_STATUSES = (PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.RENEGOTIATED)


class PromiseEventKind(models.TextChoices):
    CREATED = "created", "Promise made"
    AT_RISK = "at_risk", "At risk"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    RENEGOTIATED = "renegotiated", "Renegotiated"
    DELIVERED_LATE = "delivered_late", "Delivered late"
    ALERT = "alert", "Owner alerted"
    CASE_OPENED = "case_opened", "Case opened"
    OWNER = "owner", "Owner changed"


class AlertKind(models.TextChoices):
    AT_RISK = "at_risk", "At risk"
    BROKEN = "broken", "Broken"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an agent"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"
