"""Rules that pick out interactions: the evidence that a promise was kept, that an
onboarding milestone was reached, that a customer's journey entered a stage.

A rule is a small JSON object; every key is optional, and all the keys given
must hold::

    {"source": "field-service",               # the system that sent it (or a list)
     "channel": "in_person",                   # one of the channels (or a list)
     "direction": "outbound",
     "topic": "installation",                  # a taxonomy topic it was tagged with (or a list)
     "attributes": {"job": "installation",     # attribute equal to one of the values;
                    "status": ["completed", "done"],
                    "engineer": "*"},          # "*": present with any value
     "phrases": ["engineer has been"]}         # any of these in the subject or body

Values compare without regard to case or surrounding spaces; an attribute name
may name a nested value with dots (``order.status``). A rule with no keys
matches nothing: evidence must say what it is. Plain Python, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CHANNELS = ("phone", "sms", "email", "chat", "social", "web", "in_person", "other")
DIRECTIONS = ("inbound", "outbound")
ANY_VALUE = "*"
KEYS = ("source", "channel", "direction", "topic", "attributes", "phrases")
MAX_VALUES = 50
MAX_TEXT = 200


class RuleError(ValueError):
    """A rule that cannot be used, with a message that says what to change."""


@dataclass(frozen=True)
class Facts:
    """What a rule may look at in one interaction."""

    source: str
    channel: str
    direction: str
    topics: tuple[str, ...] = ()
    attributes: Mapping[str, Any] | None = None
    text: str = ""  # subject and body


def _fold(value: Any) -> str:
    return str(value).strip().casefold()


def _values(raw: Any, where: str, *, allowed: Sequence[str] | None = None) -> frozenset[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise RuleError(f"{where}: give at least one value")
    if len(items) > MAX_VALUES:
        raise RuleError(f"{where}: at most {MAX_VALUES} values")
    folded = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise RuleError(f"{where}: values must be text or numbers, not {item!r}"[:300])
        text = _fold(item)
        if not text or len(text) > MAX_TEXT or "\x00" in text:
            raise RuleError(f"{where}: values must be 1 to {MAX_TEXT} characters")
        if allowed is not None and text not in allowed:
            raise RuleError(f"{where}: '{text[:40]}' is not one of {', '.join(allowed)}")
        folded.add(text)
    return frozenset(folded)


def _lookup(attributes: Mapping[str, Any], path: str) -> Any:
    value: Any = attributes
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        # Attribute names are matched without regard to case, like their values.
        found = None
        for key, item in value.items():
            if _fold(key) == part:
                found = item
                break
        value = found
        if value is None:
            return None
    return value


@dataclass(frozen=True)
class InteractionRule:
    source: frozenset[str] = frozenset()
    channel: frozenset[str] = frozenset()
    direction: frozenset[str] = frozenset()
    topic: frozenset[str] = frozenset()
    attributes: tuple[tuple[str, frozenset[str]], ...] = ()
    phrases: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(
            (self.source, self.channel, self.direction, self.topic, self.attributes, self.phrases)
        )

    @classmethod
    def from_dict(cls, data: Any, *, allow_empty: bool = True) -> InteractionRule:
        """A rule from its JSON form; ``RuleError`` names the first thing wrong."""
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise RuleError('a rule is a JSON object, e.g. {"source": "field-service"}')
        unknown = sorted(str(k)[:40] for k in data if k not in KEYS)
        if unknown:
            raise RuleError(f"unknown key {unknown[0]!r}; a rule may have {', '.join(KEYS)}")
        attributes: list[tuple[str, frozenset[str]]] = []
        raw_attributes = data.get("attributes", {})
        if not isinstance(raw_attributes, Mapping):
            raise RuleError("attributes: give an object of name → value(s)")
        if len(raw_attributes) > MAX_VALUES:
            raise RuleError(f"attributes: at most {MAX_VALUES} names")
        for name, value in raw_attributes.items():
            key = _fold(name)
            if not key or len(key) > MAX_TEXT or "\x00" in key:
                raise RuleError(f"attributes: names must be 1 to {MAX_TEXT} characters")
            attributes.append((key, _values(value, f"attributes.{key[:40]}")))
        phrases: tuple[str, ...] = ()
        if "phrases" in data:
            phrases = tuple(sorted(_values(data["phrases"], "phrases")))
        rule = cls(
            source=_values(data["source"], "source") if "source" in data else frozenset(),
            channel=(
                _values(data["channel"], "channel", allowed=CHANNELS)
                if "channel" in data
                else frozenset()
            ),
            direction=(
                _values(data["direction"], "direction", allowed=DIRECTIONS)
                if "direction" in data
                else frozenset()
            ),
            topic=_values(data["topic"], "topic") if "topic" in data else frozenset(),
            attributes=tuple(sorted(attributes)),
            phrases=phrases,
        )
        if rule.empty and not allow_empty:
            raise RuleError(
                "the rule says nothing, so it would match nothing: give at least one of "
                + ", ".join(KEYS)
            )
        return rule

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("source", "channel", "direction", "topic"):
            values: frozenset[str] = getattr(self, name)
            if values:
                out[name] = sorted(values)[0] if len(values) == 1 else sorted(values)
        if self.attributes:
            out["attributes"] = {
                key: sorted(values)[0] if len(values) == 1 else sorted(values)
                for key, values in self.attributes
            }
        if self.phrases:
            out["phrases"] = list(self.phrases)
        return out

    def matches(self, facts: Facts) -> bool:
        if self.empty:
            return False
        if self.source and _fold(facts.source) not in self.source:
            return False
        if self.channel and facts.channel not in self.channel:
            return False
        if self.direction and facts.direction not in self.direction:
            return False
        if self.topic and not self.topic & {_fold(t) for t in facts.topics}:
            return False
        for key, wanted in self.attributes:
            value = _lookup(facts.attributes or {}, key)
            if value is None or value == "":
                return False
            if ANY_VALUE in wanted:
                continue
            if isinstance(value, list):
                if not wanted & {_fold(v) for v in value}:
                    return False
            elif _fold(value) not in wanted:
                return False
        if self.phrases:
            text = facts.text.casefold()
            if not any(phrase in text for phrase in self.phrases):
                return False
        return True

    def describe(self) -> str:
        """The rule as a phrase a person can read."""
        if self.empty:
            return "nothing (confirmed by hand)"
        parts = []
        if self.direction:
            parts.append(" or ".join(sorted(self.direction)))
        if self.channel:
            parts.append(" or ".join(sorted(c.replace("_", " ") for c in self.channel)))
        text = "an " if parts and parts[0][0] in "aeiou" else "a "
        text += " ".join([*parts, "interaction"])
        if self.source:
            text += " from " + " or ".join(sorted(self.source))
        if self.topic:
            text += " about " + " or ".join(sorted(self.topic))
        conditions = [
            f"{key} present" if ANY_VALUE in values else f"{key} = {' or '.join(sorted(values))}"
            for key, values in self.attributes
        ]
        if self.phrases:
            conditions.append("saying " + " or ".join(f"“{p}”" for p in self.phrases))
        if conditions:
            text += " with " + ", ".join(conditions)
        return text


def first_match(rules: Iterable[tuple[Any, InteractionRule]], facts: Facts) -> Any | None:
    """The key of the first rule that matches, or None."""
    for key, rule in rules:
        if rule.matches(facts):
            return key
    return None
