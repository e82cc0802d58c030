"""Journeys: sales, onboarding milestones and lifecycle stages, as they happen.

- A **sale** (``purchase_record``: from an order system's import, the API or
  the console) starts a product's onboarding. Its **milestones** (installed,
  first use, first value, …; ``milestone_set`` per product) are reached when an
  interaction matching a milestone's evidence rule arrives for the customer
  (``interactions_observe``), or when a person records one.
- The customer's **stage** (prospect, sale, onboarding, adoption, steady
  service, renewal, churned, won back) follows the stage rules: on an
  interaction, a sale, a milestone, or after so many days in a stage
  (``journeys_sweep``). Each stage is a ``StageVisit`` with its cause; a person
  may also set the stage by hand, with a note.

Everything is dated when it happened, so an imported history and the live
stream give the same journeys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxm import fields
from cxm.access import services as access_services
from cxm.access.models import Team
from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, visible_for_update
from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Customer
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.feedback import services as feedback_services
from cxm.feedback.enums import Trigger as SurveyTrigger
from cxm.fields import ImportReport
from cxm.interactions.models import Interaction
from cxm.interactions.rules import Facts, InteractionRule, RuleError
from cxm.journeys.enums import Component, Stage, Trigger
from cxm.journeys.models import (
    HealthWeight,
    Milestone,
    MilestoneReached,
    Purchase,
    StageRule,
    StageVisit,
)

KEY_LENGTH = 40
PRODUCT_LENGTH = 100
MAX_TARGET_DAYS = 3650
MAX_LABEL = 150
# A milestone reached longer ago than this (an imported history) sends no survey.
SURVEY_WINDOW = timedelta(days=2)
NO_STAGE = ""  # in a rule's from_stages: a customer with no stage yet
SWEEP_CHUNK = 500


def _label(actor: Actor) -> str:
    return access_services.actor_label(actor)[:MAX_LABEL]


def _key(value: Any, name: str, *, limit: int) -> str:
    key = fields.text(value, name, limit=limit, required=True)
    if not all(c.isalnum() or c in "-_." for c in key):
        raise ValidationFailed(
            f"{name} may hold only letters, digits, '-', '_' and '.' (e.g. fibre-500)",
            code="bad_key",
        )
    return key.lower()


def _evidence(raw: Any, name: str = "evidence_rule") -> dict[str, Any]:
    try:
        return InteractionRule.from_dict(raw).to_dict()
    except RuleError as error:
        raise ValidationFailed(f"{name}: {error}", code="bad_rule") from None


# Company-wide settings ------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneIn:
    name: str
    target_days: int
    position: int = 0
    evidence_rule: Mapping[str, Any] | None = None
    marks_value: bool = False


@transaction.atomic
def milestone_set(*, actor: Actor, product: str, key: str, milestone: MilestoneIn) -> Milestone:
    """A product's onboarding milestone, created or changed."""
    actor_require(actor, Permission.JOURNEY_MANAGE)
    product = _key(product, "product", limit=PRODUCT_LENGTH)
    key = _key(key, "key", limit=KEY_LENGTH)
    name = fields.text(milestone.name, "name", limit=120, required=True)
    if isinstance(milestone.target_days, bool) or not 0 <= milestone.target_days <= MAX_TARGET_DAYS:
        raise ValidationFailed(
            f"target_days must be a whole number from 0 to {MAX_TARGET_DAYS}", code="bad_target"
        )
    if not 0 <= milestone.position <= 1000:
        raise ValidationFailed("position must be from 0 to 1000", code="bad_position")
    if milestone.marks_value:
        Milestone.objects.filter(product=product, marks_value=True).exclude(key=key).update(
            marks_value=False
        )
    row, _ = Milestone.objects.update_or_create(
        product=product,
        key=key,
        defaults={
            "name": name,
            "target_days": milestone.target_days,
            "position": milestone.position,
            "evidence_rule": _evidence(milestone.evidence_rule or {}),
            "marks_value": milestone.marks_value,
        },
    )
    return row


def _key_or_none(value: Any, limit: int) -> str | None:
    """A key as stored, or None for text that cannot be one (and so names nothing)."""
    text = str(value).strip().lower()
    if not text or len(text) > limit or not all(c.isalnum() or c in "-_." for c in text):
        return None
    return text


def milestone_delete(*, actor: Actor, product: str, key: str) -> None:
    actor_require(actor, Permission.JOURNEY_MANAGE)
    product_key, milestone_key = (
        _key_or_none(product, PRODUCT_LENGTH),
        _key_or_none(key, KEY_LENGTH),
    )
    deleted = 0
    if product_key and milestone_key:
        deleted, _ = Milestone.objects.filter(product=product_key, key=milestone_key).delete()
    if not deleted:
        raise NotFound(f"there is no milestone '{str(key)[:40]}' of '{str(product)[:60]}'")


@dataclass(frozen=True)
class StageRuleIn:
    name: str
    trigger: str
    to_stage: str
    position: int = 0
    match: Mapping[str, Any] | None = None
    milestone_key: str = ""
    days: int | None = None
    from_stages: Sequence[str] = ()
    enabled: bool = True


def _rule_fields(rule: StageRuleIn) -> dict[str, Any]:
    name = fields.text(rule.name, "name", limit=120, required=True)
    if rule.trigger not in Trigger.values:
        raise ValidationFailed(
            f"trigger must be one of {', '.join(Trigger.values)}", code="bad_trigger"
        )
    if rule.to_stage not in Stage.values:
        raise ValidationFailed(
            f"to_stage must be one of {', '.join(Stage.values)}", code="bad_stage"
        )
    if not 0 <= rule.position <= 1000:
        raise ValidationFailed("position must be from 0 to 1000", code="bad_position")
    stages = []
    for stage in rule.from_stages:
        if stage != NO_STAGE and stage not in Stage.values:
            raise ValidationFailed(
                f"from_stages: '{str(stage)[:40]}' is not a stage (use \"\" for a customer "
                "with no stage yet)",
                code="bad_stage",
            )
        stages.append(stage)
    match: dict[str, Any] = {}
    days = None
    milestone_key = ""
    if rule.trigger == Trigger.INTERACTION:
        match = _evidence(rule.match, "match")
        if not match:
            raise ValidationFailed(
                "match: an interaction rule must say which interactions it is about",
                code="bad_rule",
            )
    elif rule.trigger == Trigger.MILESTONE:
        milestone_key = (
            _key(rule.milestone_key, "milestone_key", limit=KEY_LENGTH)
            if (rule.milestone_key)
            else ""
        )
    elif rule.trigger == Trigger.DAYS_IN_STAGE:
        if rule.days is None or isinstance(rule.days, bool) or not 1 <= rule.days <= 3650:
            raise ValidationFailed("days must be a whole number from 1 to 3650", code="bad_days")
        days = rule.days
        if not stages or NO_STAGE in stages:
            raise ValidationFailed(
                "from_stages: say which stages the days are counted in", code="bad_stage"
            )
    return {
        "name": name,
        "trigger": rule.trigger,
        "to_stage": rule.to_stage,
        "position": rule.position,
        "match": match,
        "milestone_key": milestone_key,
        "days": days,
        "from_stages": stages,
        "enabled": bool(rule.enabled),
    }


def stage_rule_save(*, actor: Actor, rule: StageRuleIn, rule_id: int | None = None) -> StageRule:
    actor_require(actor, Permission.JOURNEY_MANAGE)
    values = _rule_fields(rule)
    if rule_id is None:
        return StageRule.objects.create(**values)
    if not 0 < rule_id < 2**62:
        raise NotFound(f"there is no stage rule {rule_id}")
    updated = StageRule.objects.filter(pk=rule_id).update(**values)
    if not updated:
        raise NotFound(f"there is no stage rule {rule_id}")
    return StageRule.objects.get(pk=rule_id)


def stage_rule_delete(*, actor: Actor, rule_id: int) -> None:
    actor_require(actor, Permission.JOURNEY_MANAGE)
    if not 0 < rule_id < 2**62 or not StageRule.objects.filter(pk=rule_id).delete()[0]:
        raise NotFound(f"there is no stage rule {rule_id}")


def health_weight_set(*, actor: Actor, component: str, weight: float) -> HealthWeight:
    actor_require(actor, Permission.JOURNEY_MANAGE)
    if component not in Component.values:
        raise NotFound(f"there is no health component '{str(component)[:40]}'")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 100:
        raise ValidationFailed("weight must be a number from 0 to 100", code="bad_weight")
    row, _ = HealthWeight.objects.update_or_create(
        component=component, defaults={"weight": float(weight)}
    )
    return row


# Stages -----------------------------------------------------------------------------------


def _current(customer_id: int) -> StageVisit | None:
    return StageVisit.objects.filter(customer_id=customer_id, left_at__isnull=True).first()


def _move(
    customer_id: int,
    stage: str,
    at: datetime,
    *,
    cause: str,
    rule: StageRule | None = None,
    interaction_id: int | None = None,
) -> StageVisit | None:
    """Close the current visit at ``at`` and open one in ``stage``; nothing when
    the customer is in that stage already, or when ``at`` is before their current
    visit began (the journey is not rewritten backwards)."""
    current = _current(customer_id)
    if current is not None:
        if current.stage == stage or at < current.entered_at:
            return None
        current.left_at = at
        current.save(update_fields=["left_at"])
    return StageVisit.objects.create(
        customer_id=customer_id,
        stage=stage,
        entered_at=at,
        cause=cause[:300],
        rule=rule,
        interaction_id=interaction_id,
    )


def _rules(trigger: str) -> list[StageRule]:
    return list(StageRule.objects.filter(trigger=trigger, enabled=True).order_by("position", "pk"))


def _applies(rule: StageRule, current: str) -> bool:
    stages = rule.from_stages or []
    return not stages or current in stages


def _on_event(
    customer_id: int,
    trigger: str,
    at: datetime,
    *,
    rules: Sequence[StageRule],
    key: str = "",
    interaction_id: int | None = None,
) -> StageVisit | None:
    visit = _current(customer_id)
    current = visit.stage if visit is not None else NO_STAGE
    for rule in rules:
        if rule.trigger != trigger or not _applies(rule, current):
            continue
        if trigger == Trigger.MILESTONE and rule.milestone_key and rule.milestone_key != key:
            continue
        return _move(
            customer_id,
            rule.to_stage,
            at,
            cause=rule.name,
            rule=rule,
            interaction_id=interaction_id,
        )
    return None


@transaction.atomic
def stage_set(
    *, actor: Actor, customer_id: int, stage: str, note: str, at: datetime | str | None = None
) -> StageVisit:
    """A person puts the customer in a stage (a correction, or what no rule sees)."""
    actor_require(actor, Permission.PROMISE_WORK)
    customer = _customer_visible(actor, customer_id)
    if stage not in Stage.values:
        raise ValidationFailed(f"stage must be one of {', '.join(Stage.values)}", code="bad_stage")
    note = fields.text(note, "note", limit=200, required=True)
    now = timezone.now()
    when = fields.moment(at, "at") if at is not None else now
    if when > now + timedelta(minutes=5):
        raise ValidationFailed("at is in the future", code="bad_date")
    current = _current(customer.pk)
    if current is not None and current.stage == stage:
        raise Conflict(f"the customer is already in {Stage(stage).label.lower()}")
    if current is not None and when < current.entered_at:
        raise ValidationFailed(
            f"the customer entered {current.get_stage_display().lower()} on "
            f"{current.entered_at:%d %b %Y}; a change must come after that",
            code="bad_date",
        )
    visit = _move(customer.pk, stage, when, cause=f"set by {_label(actor)}: {note}")
    assert visit is not None
    return visit


def _customer_visible(actor: Actor, customer_id: int | None) -> Customer:
    return customer_selectors.customer_to_act_on(actor=actor, customer_id=customer_id)


def journeys_sweep(*, now: datetime | None = None) -> int:
    """Move the customers who have spent a rule's days in a stage, dated when the
    days ran out. Idempotent."""
    now = now or timezone.now()
    moved = 0
    for rule in _rules(Trigger.DAYS_IN_STAGE):
        assert rule.days is not None
        due = now - timedelta(days=rule.days)
        while True:
            with transaction.atomic():
                visits = list(
                    StageVisit.objects.select_for_update(skip_locked=True)
                    .filter(left_at__isnull=True, stage__in=rule.from_stages, entered_at__lte=due)
                    .order_by("entered_at", "pk")[:SWEEP_CHUNK]
                )
                for visit in visits:
                    at = visit.entered_at + timedelta(days=rule.days)
                    if _move(visit.customer_id, rule.to_stage, at, cause=rule.name, rule=rule):
                        moved += 1
            if len(visits) < SWEEP_CHUNK:
                break
    return moved


# Sales and milestones ----------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseIn:
    product: str
    sold_at: datetime | str | None = None
    customer_id: int | None = None
    customer: Mapping[str, Any] | None = None
    sold_by: str = ""
    team: str = ""
    interaction_id: int | None = None
    external_id: str = ""


PURCHASE_FIELDS = set(PurchaseIn.__dataclass_fields__)


def _prepare_purchase(actor: Actor, purchase: PurchaseIn, now: datetime) -> dict[str, Any]:
    if purchase.customer_id is not None:
        customer = _customer_visible(actor, purchase.customer_id)
    elif purchase.customer:
        customer = _customer_visible(
            actor,
            customer_selectors.customer_by_identifiers(
                identifiers=purchase.customer, default_region=settings.CXM_PHONE_REGION
            ),
        )
    else:
        raise ValidationFailed(
            "say who bought it: customer_id, or the customer's identifiers", code="no_customer"
        )
    product = _key(purchase.product, "product", limit=PRODUCT_LENGTH)
    sold_at = fields.moment(purchase.sold_at, "sold_at") if purchase.sold_at is not None else now
    if sold_at > now + timedelta(minutes=5):
        raise ValidationFailed("sold_at is in the future", code="bad_date")
    team_name = fields.text(purchase.team, "team", limit=150)
    team_id = customer.team_id
    if team_name:
        found = Team.objects.filter(name__iexact=team_name).values_list("pk", flat=True).first()
        if found is None:
            raise ValidationFailed(
                f"there is no team named '{team_name[:60]}'", code="unknown_team"
            )
        team_id = found
    interaction_id = purchase.interaction_id
    if interaction_id is not None and not (
        0 < interaction_id < 2**62
        and Interaction.objects.filter(pk=interaction_id, customer_id=customer.pk).exists()
    ):
        raise ValidationFailed(
            f"interaction {interaction_id} is not one of this customer's", code="bad_interaction"
        )
    return {
        "customer": customer,
        "product": product,
        "sold_at": sold_at,
        "sold_by_label": fields.text(purchase.sold_by, "sold_by", limit=MAX_LABEL)
        or (_label(actor) if not _is_system(actor) else ""),
        "team_id": team_id,
        "interaction_id": interaction_id,
        "external_id": fields.text(purchase.external_id, "external_id", limit=255),
    }


def _is_system(actor: Actor) -> bool:
    return actor is not None and hasattr(actor, "scope") and hasattr(actor, "token_hash")


def purchase_record(
    *, actor: Actor, purchase: PurchaseIn, source: Any = None, now: datetime | None = None
) -> Purchase:
    """A sale: the customer's stage follows the sale rules, and interactions
    already in CXM since the sale count towards its milestones."""
    actor_require(
        actor, Permission.PROMISE_IMPORT if _is_system(actor) else Permission.PROMISE_WORK
    )
    now = now or timezone.now()
    return _purchase_create(_prepare_purchase(actor, purchase, now), source, now)


@transaction.atomic
def _purchase_create(values: dict[str, Any], source: Any, now: datetime) -> Purchase:
    row = Purchase.objects.create(**values, source=source)
    _on_event(row.customer_id, Trigger.SALE, row.sold_at, rules=_rules(Trigger.SALE))
    milestones = list(Milestone.objects.filter(product=row.product).order_by("position", "pk"))
    if milestones:
        group = customer_selectors.customer_group_ids(customer_id=row.customer_id)
        earlier = (
            Interaction.objects.filter(customer_id__in=group, occurred_at__gte=row.sold_at)
            .select_related("source")
            .order_by("occurred_at", "pk")
        )
        rules = _rules(Trigger.MILESTONE)
        for interaction in earlier[:5000].iterator():
            _milestones_check([row], milestones, interaction, rules, now)
    return row


def purchases_import(
    *,
    actor: Actor,
    lines: Iterable[tuple[int, bytes | str]],
    source: Any,
    now: datetime | None = None,
) -> ImportReport:
    """Sales from an order system, one JSON object a line, each with its ``external_id``
    (a line imported before is a duplicate). Bad lines are reported, good ones kept."""
    actor_require(actor, Permission.PROMISE_IMPORT)
    moment = now or timezone.now()

    def create(raw: Mapping[str, Any]) -> int | None:
        fields.whole_numbers(raw, ("customer_id", "interaction_id"))
        fields.objects(raw, {"customer": "an object of identifiers"})
        if raw.get("product") in (None, ""):
            raise ValidationFailed("product is required", code="bad_field")
        purchase = PurchaseIn(**{k: v for k, v in raw.items() if v is not None})
        external_id = fields.text(purchase.external_id, "external_id", limit=255, required=True)
        if Purchase.objects.filter(source=source, external_id=external_id).exists():
            return None
        values = _prepare_purchase(actor, purchase, moment)
        try:
            return _purchase_create(values, source, moment).pk
        except IntegrityError:
            return None

    return fields.import_lines(lines, names=PURCHASE_FIELDS, create=create)


@transaction.atomic
def purchase_end(*, actor: Actor, purchase_id: int, at: datetime | str | None = None) -> Purchase:
    actor_require(actor, Permission.PROMISE_WORK)
    purchase = _purchase_visible(actor, purchase_id)
    if purchase.ended_at is not None:
        raise Conflict("this purchase has ended already")
    when = fields.moment(at, "at") if at is not None else timezone.now()
    if when < purchase.sold_at:
        raise ValidationFailed("a purchase cannot end before it was sold", code="bad_date")
    purchase.ended_at = when
    purchase.save(update_fields=["ended_at"])
    return purchase


def _purchase_visible(actor: Actor, purchase_id: int) -> Purchase:
    purchase: Purchase = visible_for_update(Purchase, actor=actor, pk=purchase_id, noun="purchase")
    return purchase


def _reach(
    purchase: Purchase,
    milestone: Milestone,
    at: datetime,
    now: datetime,
    *,
    rules: Sequence[StageRule],
    interaction_id: int | None = None,
    note: str = "",
    by: str = "",
) -> MilestoneReached | None:
    if at < purchase.sold_at:
        return None
    row, created = MilestoneReached.objects.get_or_create(
        purchase=purchase,
        milestone=milestone,
        defaults={
            "reached_at": at,
            "interaction_id": interaction_id,
            "note": note[:500],
            "recorded_by_label": by,
        },
    )
    if not created:
        return None
    _on_event(
        purchase.customer_id,
        Trigger.MILESTONE,
        at,
        rules=rules,
        key=milestone.key,
        interaction_id=interaction_id,
    )
    if now - at <= SURVEY_WINDOW:
        visit = _current(purchase.customer_id)
        feedback_services.survey_trigger(
            trigger=SurveyTrigger.ONBOARDING_MILESTONE,
            customer_id=purchase.customer_id,
            segments={
                "product": purchase.product,
                "milestone": milestone.key,
                "journey_stage": visit.stage if visit is not None else "",
            },
            now=now,
        )
    return row


@transaction.atomic
def milestone_reach(
    *,
    actor: Actor,
    purchase_id: int,
    key: str,
    note: str,
    at: datetime | str | None = None,
) -> MilestoneReached:
    """A person records a milestone CXM could not see (a site visit, a call)."""
    actor_require(actor, Permission.PROMISE_WORK)
    now = timezone.now()
    purchase = _purchase_visible(actor, purchase_id)
    note = fields.text(note, "note", limit=500, required=True)
    milestone_key = _key_or_none(key, KEY_LENGTH)
    milestone = (
        Milestone.objects.filter(product=purchase.product, key=milestone_key).first()
        if milestone_key
        else None
    )
    if milestone is None:
        raise NotFound(f"{purchase.product} has no milestone '{str(key)[:40]}'")
    when = fields.moment(at, "at") if at is not None else now
    if when > now + timedelta(minutes=5) or when < purchase.sold_at:
        raise ValidationFailed("the milestone must lie between the sale and now", code="bad_date")
    row = _reach(
        purchase,
        milestone,
        when,
        now,
        rules=_rules(Trigger.MILESTONE),
        note=note,
        by=_label(actor),
    )
    if row is None:
        raise Conflict(f"'{milestone.name}' was already reached")
    return row


# Interactions ------------------------------------------------------------------------------


def _facts(row: Interaction) -> Facts:
    return Facts(
        source=row.source.name,
        channel=row.channel,
        direction=row.direction,
        topics=tuple(row.topics or ()),
        attributes=row.attributes or {},
        text=f"{row.subject}\n{row.body}",
    )


def _milestones_check(
    purchases: Sequence[Purchase],
    milestones: Sequence[Milestone],
    interaction: Interaction,
    rules: Sequence[StageRule],
    now: datetime,
) -> int:
    facts: Facts | None = None
    reached = 0
    for purchase in purchases:
        if purchase.sold_at > interaction.occurred_at or (
            purchase.ended_at is not None and purchase.ended_at <= interaction.occurred_at
        ):
            continue
        for milestone in milestones:
            if milestone.product != purchase.product or not milestone.evidence_rule:
                continue
            facts = facts or _facts(interaction)
            if InteractionRule.from_dict(milestone.evidence_rule).matches(facts) and _reach(
                purchase,
                milestone,
                interaction.occurred_at,
                now,
                rules=rules,
                interaction_id=interaction.pk,
            ):
                reached += 1
    return reached


@dataclass
class ObserveReport:
    moved: int = 0
    milestones: int = 0


def interactions_observe(ids: Sequence[int], now: datetime) -> ObserveReport:
    """Stage rules and milestones on routed interactions, oldest first.

    A customer's first interaction gives them a stage: the first interaction
    rule that applies to a customer with no stage, else prospect.
    """
    report = ObserveReport()
    rows = list(
        Interaction.objects.filter(pk__in=list(ids))
        .select_related("source")
        .order_by("occurred_at", "pk")
    )
    if not rows:
        return report
    interaction_rules = [
        (rule, InteractionRule.from_dict(rule.match)) for rule in _rules(Trigger.INTERACTION)
    ]
    milestone_rules = _rules(Trigger.MILESTONE)
    roots = {row.customer_id for row in rows}
    owner = {pk: pk for pk in roots}
    owner.update(customer_selectors.customers_absorbed(root_ids=roots))
    purchases: dict[int, list[Purchase]] = {}
    for purchase in Purchase.objects.filter(customer_id__in=list(owner)).order_by("sold_at"):
        purchases.setdefault(owner[purchase.customer_id], []).append(purchase)
    products = {p.product for items in purchases.values() for p in items}
    milestones = list(
        Milestone.objects.filter(product__in=products).order_by("product", "position", "pk")
    )
    current = {
        visit.customer_id: visit.stage
        for visit in StageVisit.objects.filter(customer_id__in=list(roots), left_at__isnull=True)
    }
    for row in rows:
        stage = current.get(row.customer_id, NO_STAGE)
        facts = _facts(row)
        moved = None
        for rule, matcher in interaction_rules:
            if _applies(rule, stage) and matcher.matches(facts):
                moved = _move(
                    row.customer_id,
                    rule.to_stage,
                    row.occurred_at,
                    cause=rule.name,
                    rule=rule,
                    interaction_id=row.pk,
                )
                break
        if moved is None and stage == NO_STAGE:
            moved = _move(
                row.customer_id,
                Stage.PROSPECT,
                row.occurred_at,
                cause="first contact",
                interaction_id=row.pk,
            )
        if moved is not None:
            current[row.customer_id] = moved.stage
            report.moved += 1
        mine = purchases.get(row.customer_id)
        if mine and milestones:
            reached = _milestones_check(mine, milestones, row, milestone_rules, now)
            if reached:
                report.milestones += reached
                visit = _current(row.customer_id)
                current[row.customer_id] = visit.stage if visit else NO_STAGE
    return report
