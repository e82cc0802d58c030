"""Who may be asked for feedback now: the contact policy.

Each rule looks at a set of customers and names those it holds back, with the
reason. Rules are registered, so that another part of CXM (cases, promises)
can add its own without this module knowing it: ``complaint_source`` adds a
source of open complaints, ``contact_rule`` a whole rule. The daily caps are
counted by the sending service itself, since they depend on the order of a
batch. A rule judges the person (``person=True``, the default): what sits on a
customer row since merged into their profile counts as theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

ContactRule = Callable[[list[int], datetime], dict[int, str]]
ComplaintSource = Callable[[list[int]], set[int]]


@dataclass(frozen=True)
class Registered:
    name: str
    rule: ContactRule
    # Whether the rule is about the person, so that what sits on a customer row
    # merged into theirs (an invitation, a complaint from before the merge)
    # holds them back too; false for a rule about the row itself.
    person: bool = True


_rules: list[Registered] = []
_complaint_sources: dict[str, ComplaintSource] = {}


def contact_rule(name: str, *, person: bool = True) -> Callable[[ContactRule], ContactRule]:
    def register(rule: ContactRule) -> ContactRule:
        _rules[:] = [r for r in _rules if r.name != name]
        _rules.append(Registered(name, rule, person))
        return rule

    return register


def complaint_source(name: str) -> Callable[[ComplaintSource], ComplaintSource]:
    """Register where open complaints come from (``customer ids -> those with one``)."""

    def register(source: ComplaintSource) -> ComplaintSource:
        _complaint_sources[name] = source
        return source

    return register


# Ids past what a database integer holds name no customer (and must not reach a query).
MAX_ID = 2**63 - 1
# Customers judged per round of queries: far below the bound on a statement's
# parameters, however many a relationship wave or a bulk send names.
CHUNK = 2000


def held_back(customer_ids: Iterable[int], *, now: datetime) -> dict[int, str]:
    """The customers no survey may reach now, each with the first rule's reason."""
    reasons: dict[int, str] = {}
    ids = []
    for pk in dict.fromkeys(customer_ids):
        if 0 < pk <= MAX_ID:
            ids.append(pk)
        else:
            reasons[pk] = "no such customer"
    for start in range(0, len(ids), CHUNK):
        reasons.update(_judge(ids[start : start + CHUNK], now))
    return reasons


def _judge(ids: list[int], now: datetime) -> dict[int, str]:
    from cxm.customers.selectors import customers_absorbed

    reasons: dict[int, str] = {}
    owner: dict[int, int] | None = None  # each row -> the person it belongs to
    for registered in _rules:
        remaining = [pk for pk in ids if pk not in reasons]
        if not remaining:
            break
        if not registered.person:
            for pk, reason in registered.rule(remaining, now).items():
                reasons.setdefault(pk, reason)
            continue
        if owner is None:
            # After the rules about the rows: by now ``remaining`` are live profiles.
            owner = {pk: pk for pk in remaining}
            owner.update(customers_absorbed(root_ids=remaining))
        rows = [pk for pk, root in owner.items() if root not in reasons]
        for pk, reason in registered.rule(rows, now).items():
            reasons.setdefault(owner.get(pk, pk), reason)
    return reasons


def cooldown_days() -> int:
    return int(getattr(settings, "CXM_SURVEY_COOLDOWN_DAYS", 30))


@contact_rule("no_longer_reachable", person=False)
def _gone(customer_ids: list[int], now: datetime) -> dict[int, str]:
    from cxm.customers.models import Customer

    reasons = {}
    for pk, merged_into, erased_at in Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "merged_into_id", "erased_at"
    ):
        if erased_at is not None:
            reasons[pk] = "this customer's data was erased"
        elif merged_into is not None:
            reasons[pk] = f"merged into customer {merged_into}; invite that customer"
    for pk in (
        set(customer_ids)
        - {pk for pk in reasons}
        - set(Customer.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))
    ):
        reasons[pk] = "no such customer"
    return reasons


@contact_rule("cooldown")
def _recently_invited(customer_ids: list[int], now: datetime) -> dict[int, str]:
    from cxm.feedback.models import Invitation

    days = cooldown_days()
    since = now - timedelta(days=days)
    recent: dict[int, datetime] = {}
    for pk, when in Invitation.objects.filter(
        customer_id__in=customer_ids, invited_at__gt=since
    ).values_list("customer_id", "invited_at"):
        recent[pk] = max(when, recent.get(pk, when))
    return {
        pk: f"already invited on {when:%Y-%m-%d}; no customer is asked more than once in "
        f"{days} days"
        for pk, when in recent.items()
    }


@contact_rule("open_complaint")
def _complaining(customer_ids: list[int], now: datetime) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for name, source in _complaint_sources.items():
        for pk in source(customer_ids):
            reasons.setdefault(pk, f"has an open complaint ({name}); asking now would be tone-deaf")
    return reasons


@complaint_source("unresolved survey follow-up")
def _open_follow_ups(customer_ids: list[int]) -> set[int]:
    from cxm.feedback.enums import FollowUpStatus
    from cxm.feedback.models import FollowUp

    return set(
        FollowUp.objects.filter(
            customer_id__in=customer_ids, status=FollowUpStatus.OPEN
        ).values_list("customer_id", flat=True)
    )
