from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    SUPERVISOR = "supervisor", "Supervisor"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"
    EXECUTIVE = "executive", "Executive (read-only)"


class AuditAction(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded", "Signed in"
    LOGIN_FAILED = "login.failed", "Sign-in failed"
    LOGIN_LOCKED = "login.locked", "Sign-in locked out"
    LOGOUT = "logout", "Signed out"
    CUSTOMER_VIEWED = "customer.viewed", "Customer profile read"
    CUSTOMER_EXPORTED = "customer.exported", "Customer data exported"
    CUSTOMER_ERASED = "customer.erased", "Customer data erased"
    MERGE_ACCEPTED = "merge.accepted", "Customers merged"
    MERGE_REJECTED = "merge.rejected", "Merge proposal rejected"
    MERGE_UNDONE = "merge.undone", "Merge undone"
    ROLE_CHANGED = "role.changed", "Role or teams changed"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_ROTATED = "token.rotated", "API token rotated"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    RETENTION_APPLIED = "retention.applied", "Retention applied"
