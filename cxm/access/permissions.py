"""What each role and each API token scope may do.

Every console view and API operation names one of these permissions (see
``cxm.access.decorators``); nothing is allowed that no table below grants.
"""

from __future__ import annotations

from enum import StrEnum

from cxm.access.enums import Role


class Permission(StrEnum):
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_MERGE = "customer.merge"
    INTERACTION_INGEST = "interaction.ingest"
    PRIVACY_EXPORT = "privacy.export"
    PRIVACY_ERASE = "privacy.erase"
    AUDIT_VIEW = "audit.view"
    ACCESS_MANAGE = "access.manage"
    FEEDBACK_VIEW = "feedback.view"
    SURVEY_MANAGE = "survey.manage"
    FOLLOW_UP_WORK = "follow_up.work"
    SENTIMENT_LABEL = "sentiment.label"
    TOPIC_MANAGE = "topic.manage"
    CASE_VIEW = "case.view"
    CASE_WORK = "case.work"
    SLA_MANAGE = "sla.manage"
    CHANNEL_MANAGE = "channel.manage"
    SERVICE_REPORT_VIEW = "service_report.view"
    # The promise ledger, sales and onboarding milestones: read them; record and
    # settle them by hand; send them from an order or CRM system.
    PROMISE_VIEW = "promise.view"
    PROMISE_WORK = "promise.work"
    PROMISE_IMPORT = "promise.import"
    # Company-wide settings of promises and journeys: lead times, milestones per
    # product, stage rules, health weights.
    JOURNEY_MANAGE = "journey.manage"


# Declared by routes that anyone may call: the sign-in page, the API schema.
PUBLIC = "public"

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.AGENT: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.CUSTOMER_MERGE,
            Permission.FOLLOW_UP_WORK,
            Permission.CASE_VIEW,
            Permission.CASE_WORK,
            Permission.PROMISE_VIEW,
            Permission.PROMISE_WORK,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.CUSTOMER_MERGE,
            Permission.FOLLOW_UP_WORK,
            Permission.FEEDBACK_VIEW,
            Permission.SURVEY_MANAGE,
            Permission.CASE_VIEW,
            Permission.CASE_WORK,
            Permission.SERVICE_REPORT_VIEW,
            Permission.PROMISE_VIEW,
            Permission.PROMISE_WORK,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.FEEDBACK_VIEW,
            Permission.SENTIMENT_LABEL,
            Permission.TOPIC_MANAGE,
            Permission.CASE_VIEW,
            Permission.SERVICE_REPORT_VIEW,
            Permission.PROMISE_VIEW,
        }
    ),
    Role.EXECUTIVE: frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.FEEDBACK_VIEW,
            Permission.CASE_VIEW,
            Permission.SERVICE_REPORT_VIEW,
            Permission.PROMISE_VIEW,
        }
    ),
    Role.ADMINISTRATOR: frozenset(Permission),
}

# Roles that work one or more teams' customers: they see those customers and
# the ones no team owns yet, never another team's.
TEAM_SCOPED_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})

TOKEN_SCOPE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "ingest": frozenset({Permission.INTERACTION_INGEST, Permission.PROMISE_IMPORT}),
    "read": frozenset(
        {
            Permission.CUSTOMER_VIEW,
            Permission.FEEDBACK_VIEW,
            Permission.CASE_VIEW,
            Permission.SERVICE_REPORT_VIEW,
            Permission.PROMISE_VIEW,
        }
    ),
    "admin": frozenset(Permission),
}
