"""Topics on customer texts: an editable taxonomy of rules, and discovery of new topics.

A *taxonomy* is a list of rules in the manner of the "query-based topics" of
the leading CX tools. A rule names phrases and how they must occur:

- ``any_phrases``: at least one occurs (left empty, this condition is dropped);
- ``all_phrases``: every one occurs;
- ``none_phrases``: none occurs;
- ``near``: for each ``(a, b, n)``, some occurrence of ``a`` and one of ``b``
  lie within ``n`` words of each other, in either order ("refund NEAR/5 late").
  The distance runs from the last word of the earlier occurrence to the first
  word of the later one: adjacent words are 1 apart, "refund was late" puts
  refund and late 2 apart, and overlapping occurrences are 0 apart.

Phrases match whole words, ignoring case, accents and punctuation: "cancel"
does not match "cancellation", but a trailing ``*`` makes a word a prefix, so
"cancel*" matches "cancel", "cancelled" and "cancellation". A text and a phrase
go through the same folding (:func:`words`), so "Résilier!" matches "resilier".

A :class:`Taxonomy` compiles its rules once. Each text is read into an index of
its words and of the taxonomy's wildcard prefixes they begin with; the index
names the few rules that could match (those one of whose required words the
text holds), and only those are checked, one-word phrases by set look-up and
longer ones from the word positions. The cost grows with the length of the
text, hardly with the size of the taxonomy.

*Discovery* finds what the taxonomy misses. Texts that no rule matched are
weighted by TF-IDF (English stop words, unigrams and bigrams of adjacent words,
terms in at least two texts, sublinear term frequency) and factorised by
non-negative matrix factorisation (Lee and Seung 1999; NNDSVDa start of
Boutsidis and Gallopoulos 2008). Each component is a candidate topic: its
heaviest terms describe it, its heaviest texts quote it. When the number of
topics is not given, each k from 2 to a bound set by the corpus size is fitted
and the k whose clusters of texts are best separated (mean silhouette) is kept
(see :func:`choose_topic_count`). A text joins a cluster only when its
component clearly dominates it (:func:`assign`). A :class:`Suggestion` carries
the phrases a rule needs to find its texts again, chosen on those very texts,
so an analyst adopts it with one click (:meth:`Suggestion.to_rule`).

Plain Python, NumPy and scikit-learn, no Django: usable from notebooks.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

WILDCARD = "*"
MIN_WILDCARD_PREFIX = 3  # "ca*" would match calls, cables, cards and cars alike
KEY_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")

_WORD = re.compile(r"[^\W_]+")
_PHRASE_PIECE = re.compile(r"(?:[^\W_]|\*)+")


# ---------------------------------------------------------------------------
# Text folding
# ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case-folded with accents removed; everything else left in place."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.casefold()


def words(text: str) -> list[str]:
    """The words of a text, folded: runs of letters and digits, punctuation dropped."""
    return _WORD.findall(fold(text))


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicRule:
    """One topic of the taxonomy and when a text is about it (see the module docstring)."""

    key: str  # slug
    name: str
    any_phrases: tuple[str, ...]
    all_phrases: tuple[str, ...] = ()
    none_phrases: tuple[str, ...] = ()
    near: tuple[tuple[str, str, int], ...] = ()


class TopicRuleError(ValueError):
    """Rules that cannot be compiled; ``problems`` holds one human message each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


Term = tuple[str, bool]  # a folded word, and whether it is a prefix (ends in *)


def _phrase_terms(phrase: str) -> tuple[tuple[Term, ...], list[str]]:
    """The terms of a phrase and, when it is malformed, what is wrong with it."""
    if not phrase.strip():
        return (), ["a phrase is empty"]
    problems: list[str] = []
    terms: list[Term] = []
    for piece in _PHRASE_PIECE.findall(fold(phrase)):
        stem = piece.removesuffix(WILDCARD)
        if WILDCARD in stem or not stem:
            problems.append(
                f"{phrase!r}: * can only end a word, as in 'cancel*' (a prefix wildcard)"
            )
        elif stem != piece and len(stem) < MIN_WILDCARD_PREFIX:
            problems.append(
                f"{phrase!r}: a wildcard needs at least {MIN_WILDCARD_PREFIX} letters"
                " before the *, or it matches too many words"
            )
        else:
            terms.append((stem, stem != piece))
    if not terms and not problems:
        problems.append(f"{phrase!r} has no letters or digits")
    return tuple(terms), problems


def rule_problems(rule: TopicRule) -> list[str]:
    """What is wrong with one rule, as messages fit to show the analyst; [] when it is sound."""
    problems: list[str] = []
    if not rule.key:
        problems.append("the key is empty")
    elif not KEY_PATTERN.fullmatch(rule.key):
        problems.append(
            f"the key {rule.key!r} is not a slug: use lowercase letters and digits,"
            " joined by single hyphens or underscores"
        )
    if not rule.name.strip():
        problems.append("the name is empty")
    if not (rule.any_phrases or rule.all_phrases or rule.near):
        problems.append("the rule has nothing to match: give any_phrases, all_phrases or near")

    wanted: dict[tuple[Term, ...], str] = {}
    for field_name, phrases in (
        ("any_phrases", rule.any_phrases),
        ("all_phrases", rule.all_phrases),
        ("none_phrases", rule.none_phrases),
    ):
        for phrase in phrases:
            terms, phrase_problems = _phrase_terms(phrase)
            problems.extend(f"{field_name}: {problem}" for problem in phrase_problems)
            if not terms or phrase_problems:
                continue
            if field_name == "none_phrases":
                if terms in wanted:
                    problems.append(
                        f"none_phrases: {phrase!r} is also in {wanted[terms]},"
                        " so that part of the rule can never match"
                    )
            else:
                wanted.setdefault(terms, field_name)

    for a, b, distance in rule.near:
        label = f"near ({a!r}, {b!r}, {distance!r})"
        for phrase in (a, b):
            problems.extend(f"{label}: {problem}" for problem in _phrase_terms(phrase)[1])
        if isinstance(distance, bool) or not isinstance(distance, int) or distance < 1:
            problems.append(f"{label}: the distance must be a whole number of words, at least 1")
    return problems


def taxonomy_problems(rules: Sequence[TopicRule]) -> list[str]:
    """The problems of every rule, prefixed by its key, and keys used twice."""
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        problems.extend(f"{rule.key or rule.name!r}: {p}" for p in rule_problems(rule))
        if rule.key in seen:
            problems.append(f"the key {rule.key!r} is used by more than one topic")
        seen.add(rule.key)
    return problems


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


def _key(term: Term) -> str:
    """How a term is looked up in a text's index: the word, or the prefix and its *."""
    word, prefix = term
    return word + WILDCARD if prefix else word


class _Text:
    """One text's words, indexed by word and by every taxonomy prefix they start with."""

    __slots__ = ("positions", "words")

    def __init__(self, text: str, prefixes: frozenset[str], prefix_lengths: tuple[int, ...]):
        self.words = words(text)
        self.positions: dict[str, list[int]] = {}
        for i, word in enumerate(self.words):
            self.positions.setdefault(word, []).append(i)
        if prefixes:
            # A few set look-ups per distinct word, however many wildcards the taxonomy has.
            for word, at in list(self.positions.items()):
                for length in prefix_lengths:
                    if length > len(word):
                        break
                    if word[:length] in prefixes:
                        self.positions.setdefault(word[:length] + WILDCARD, []).extend(at)
            for key, at in self.positions.items():
                if key.endswith(WILDCARD):
                    at.sort()


def _term_at(text: _Text, term: Term, position: int) -> bool:
    if position >= len(text.words):
        return False
    word, prefix = term
    found = text.words[position]
    return found.startswith(word) if prefix else found == word


@dataclass(frozen=True)
class _Phrase:
    terms: tuple[Term, ...]

    def spans(self, text: _Text) -> list[tuple[int, int]]:
        """(first, last) word positions of each occurrence."""
        head, *rest = self.terms
        length = len(self.terms)
        return [
            (start, start + length - 1)
            for start in text.positions.get(_key(head), ())
            if all(_term_at(text, term, start + j) for j, term in enumerate(rest, 1))
        ]

    def occurs(self, text: _Text) -> bool:
        return bool(self.spans(text))


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Words from the end of one occurrence to the start of the other; 0 when they overlap."""
    if a[1] < b[0]:
        return b[0] - a[1]
    if b[1] < a[0]:
        return a[0] - b[1]
    return 0


class _PhraseSet:
    """Phrases of which any (or all) must occur: one-word phrases by set look-up."""

    def __init__(self, phrases: Iterable[str]) -> None:
        compiled = sorted({_phrase_terms(phrase)[0] for phrase in phrases})
        self.keys = frozenset(_key(terms[0]) for terms in compiled if len(terms) == 1)
        self.longer = tuple(_Phrase(terms) for terms in compiled if len(terms) > 1)

    def __bool__(self) -> bool:
        return bool(self.keys or self.longer)

    def any(self, text: _Text) -> bool:
        return not self.keys.isdisjoint(text.positions) or any(
            phrase.occurs(text) for phrase in self.longer
        )

    def all(self, text: _Text) -> bool:
        return self.keys.issubset(text.positions) and all(
            phrase.occurs(text) for phrase in self.longer
        )


class _CompiledRule:
    def __init__(self, rule: TopicRule) -> None:
        self.key = rule.key
        self.any = _PhraseSet(rule.any_phrases)
        self.all = _PhraseSet(rule.all_phrases)
        self.none = _PhraseSet(rule.none_phrases)
        self.near = tuple(
            (_Phrase(_phrase_terms(a)[0]), _Phrase(_phrase_terms(b)[0]), n) for a, b, n in rule.near
        )

    def triggers(self) -> frozenset[str]:
        """Index keys of which a text must hold one for the rule to match."""
        if self.any:
            return self.any.keys | {_key(phrase.terms[0]) for phrase in self.any.longer}
        if self.all:
            return frozenset({min(self.all.keys | {_key(p.terms[0]) for p in self.all.longer})})
        return frozenset({_key(self.near[0][0].terms[0])})

    def matches(self, text: _Text) -> bool:
        if self.any and not self.any.any(text):
            return False
        if self.all and not self.all.all(text):
            return False
        for a, b, distance in self.near:
            b_spans = b.spans(text)
            if not any(_gap(x, y) <= distance for x in a.spans(text) for y in b_spans):
                return False
        return not (self.none and self.none.any(text))


class Taxonomy:
    """Rules compiled once, then applied to any number of texts.

    Raises :class:`TopicRuleError` when :func:`taxonomy_problems` finds any.
    """

    def __init__(self, rules: Sequence[TopicRule]) -> None:
        problems = taxonomy_problems(rules)
        if problems:
            raise TopicRuleError(problems)
        self.rules = tuple(rules)
        self._compiled = tuple(_CompiledRule(rule) for rule in rules)
        phrases = [
            phrase
            for rule in rules
            for phrase in (
                *rule.any_phrases,
                *rule.all_phrases,
                *rule.none_phrases,
                *(p for a, b, _ in rule.near for p in (a, b)),
            )
        ]
        self._prefixes = frozenset(
            word for phrase in phrases for word, prefix in _phrase_terms(phrase)[0] if prefix
        )
        self._prefix_lengths = tuple(sorted({len(p) for p in self._prefixes}))
        # Which rules a key can set off: a text is only checked against those.
        self._rules_of: dict[str, list[int]] = {}
        for index, rule in enumerate(self._compiled):
            for key in rule.triggers():
                self._rules_of.setdefault(key, []).append(index)

    def match(self, text: str) -> list[str]:
        """Keys of the topics whose rule the text satisfies, in taxonomy order."""
        indexed = _Text(text, self._prefixes, self._prefix_lengths)
        if not indexed.words:
            return []
        candidates = sorted({i for key in indexed.positions for i in self._rules_of.get(key, ())})
        return [self._compiled[i].key for i in candidates if self._compiled[i].matches(indexed)]

    def match_many(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.match(text) for text in texts]


# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------

STOP_WORDS = ENGLISH_STOP_WORDS
MIN_DOCUMENT_FREQUENCY = 2  # a term seen in one text says nothing about a group of texts
MAX_TOPICS = 12  # an analyst reviews a dozen suggestions; more is a list nobody reads
SILHOUETTE_SAMPLE = 2000  # silhouettes cost the square of the texts scored
# A text joins its dominant component only when that component holds at least
# MIN_SHARE of the text's weight (a text split between themes quotes neither),
# and the weight is MIN_RELATIVE_WEIGHT of the component's strongest text's.
MIN_SHARE = 0.5
MIN_RELATIVE_WEIGHT = 0.1
# Adopted rules keep only phrases of which most texts lie in the cluster, and
# stop adding phrases once they find TARGET_COVERAGE of the cluster's texts.
MIN_PRECISION = 0.75
TARGET_COVERAGE = 0.9


def terms_of(text: str) -> list[str]:
    """The discovery terms of a text: words kept and bigrams of adjacent kept words.

    Words are folded as the taxonomy folds them, and a bigram never spans a
    stop word, so every term is a phrase a :class:`TopicRule` matches in the
    very texts it came from ("refund not received" yields no "refund received").
    """
    kept = [w if _is_kept(w) else None for w in words(text)]
    terms = [w for w in kept if w is not None]
    terms.extend(f"{a} {b}" for a, b in itertools.pairwise(kept) if a and b)
    return terms


def _is_kept(word: str) -> bool:
    return len(word) > 1 and word not in STOP_WORDS and not word.isdigit()


@dataclass(frozen=True)
class Suggestion:
    """A cluster of texts that may deserve a topic of its own."""

    terms: tuple[str, ...]  # heaviest terms of the component, most telling first
    size: int  # texts assigned to it
    quotes: tuple[str, ...]  # its most representative texts, distinct
    indices: tuple[int, ...]  # positions of its texts in the input, heaviest first
    # The phrases a rule needs to find these texts again, chosen on the texts
    # themselves; empty for a suggestion built by hand, which then uses terms.
    phrases: tuple[str, ...] = field(default=())
    quote_indices: tuple[int, ...] = field(default=())  # where each quote is in the input

    def to_rule(self, *, key: str, name: str) -> TopicRule:
        """The rule an analyst adopts in one click; it may then edit it like any other."""
        return TopicRule(key=key, name=name, any_phrases=self.phrases or self.terms)


def discover(
    texts: Sequence[str],
    *,
    topics: int | None = None,
    seed: int = 0,
    min_size: int = 5,
    max_terms: int = 6,
    quotes: int = 3,
) -> list[Suggestion]:
    """Suggested topics among ``texts``, largest first; [] when there is too little to go on.

    ``topics`` fixes the number of components; by default it is chosen by
    :func:`choose_topic_count`. Components that gather fewer than ``min_size``
    texts are dropped. The same texts and seed give the same suggestions.
    """
    if min_size < 1 or (topics is not None and topics < 1):
        raise ValueError("min_size and topics must be at least 1")
    if len(texts) < 2 * min_size:
        return []
    vectorizer = TfidfVectorizer(
        analyzer=terms_of, min_df=MIN_DOCUMENT_FREQUENCY, sublinear_tf=True
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no term occurs in two texts
        return []
    vocabulary = vectorizer.get_feature_names_out()
    presence = (matrix > 0).astype(np.float64).tocsc()

    if topics is None:
        most = min(MAX_TOPICS, len(texts) // min_size)
        k = choose_topic_count(matrix, seed=seed, most=most, min_size=min_size)
    else:
        k = topics
    k = max(1, min(k, *matrix.shape))
    weights, components = _factorise(matrix, k, seed)
    assigned = assign(weights, min_size)

    folded = [" ".join(words(text)) for text in texts]
    suggestions: list[Suggestion] = []
    for component in range(k):
        members = np.flatnonzero(assigned == component)
        if len(members) == 0:  # too small, or never dominant
            continue
        # Rounded so that equal texts, whose weights differ by float noise, keep input order.
        order = members[np.argsort(-np.round(weights[members, component], 9), kind="stable")]
        quoted = _quotes(order, folded, quotes)
        suggestions.append(
            Suggestion(
                terms=_top_terms(components[component], vocabulary, max_terms),
                size=len(members),
                quotes=tuple(texts[i].strip() for i in quoted),
                quote_indices=quoted,
                indices=tuple(int(i) for i in order),
                phrases=_rule_phrases(
                    components[component], vocabulary, presence, order, max_terms
                ),
            )
        )
    suggestions.sort(key=lambda s: (-s.size, s.indices[0]))
    return suggestions


def _factorise(matrix: sparse.spmatrix, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=1000, tol=1e-4)
    weights = model.fit_transform(matrix)
    return np.asarray(weights), np.asarray(model.components_)


def choose_topic_count(matrix: sparse.csr_matrix, *, seed: int, most: int, min_size: int) -> int:
    """The k in 2..most whose clusters of texts are best separated.

    Each k is fitted and its texts assigned (:func:`assign`); the score is the
    mean silhouette (Rousseeuw 1987) of the texts under cosine distance, a
    text outside every kept cluster counting 0, so that a k which leaves
    texts out pays for them. Too few topics put unrelated texts together, too
    many split a theme into parts that resemble each other: both lower the
    silhouette. Texts without any term are left out of the mean, and past
    SILHOUETTE_SAMPLE texts a seeded sample of them is scored. Ties go to the
    smaller k.
    """
    rows = np.flatnonzero(matrix.getnnz(axis=1))
    if len(rows) > SILHOUETTE_SAMPLE:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(rows, SILHOUETTE_SAMPLE, replace=False))
    similarity = np.asarray((matrix[rows] @ matrix[rows].T).todense())
    distance = 1.0 - similarity  # rows are unit vectors: 1 - cosine
    best_k, best_score = 2, -math.inf
    for k in range(2, min(most, *matrix.shape) + 1):
        weights, _ = _factorise(matrix, k, seed)
        labels = assign(weights, min_size)[rows]
        score = float(np.mean(_silhouettes(distance, labels)))
        if score > best_score + 1e-9:
            best_k, best_score = k, score
    return best_k


def assign(weights: np.ndarray, min_size: int) -> np.ndarray:
    """Each text's component, or -1 when its weight there is not meaningful.

    Meaningful: the component holds MIN_SHARE of the text's weight, and the
    weight is at least MIN_RELATIVE_WEIGHT of the component's strongest text
    (a text that shares one common word with a theme is not part of it).
    Components left with fewer than ``min_size`` texts give theirs up too.
    """
    totals = weights.sum(axis=1)
    dominant = weights.argmax(axis=1)
    own = weights[np.arange(len(weights)), dominant]
    share = np.divide(own, totals, out=np.zeros(len(weights)), where=totals > 0)
    strongest = weights.max(axis=0)
    meaningful = (share >= MIN_SHARE) & (own >= MIN_RELATIVE_WEIGHT * strongest[dominant])
    labels = np.where(meaningful & (own > 0), dominant, -1)
    sizes = np.bincount(labels[labels >= 0], minlength=weights.shape[1])
    labels[(labels >= 0) & (sizes[np.maximum(labels, 0)] < min_size)] = -1
    return labels


def _silhouettes(distance: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Silhouette of each text among the labelled ones; 0 when unlabelled or alone."""
    scores = np.zeros(len(labels))
    clusters = [np.flatnonzero(labels == c) for c in np.unique(labels[labels >= 0])]
    if len(clusters) < 2:
        return scores
    # mean distance of every text to each cluster, excluding the text itself
    means = np.stack([distance[:, members].sum(axis=1) for members in clusters], axis=1)
    for c, members in enumerate(clusters):
        if len(members) < 2:
            continue
        own = means[members, c] / (len(members) - 1)
        others = np.delete(means[members], c, axis=1) / np.delete([len(m) for m in clusters], c)
        nearest = others.min(axis=1)
        scores[members] = (nearest - own) / np.maximum(np.maximum(own, nearest), 1e-12)
    return scores


def _top_terms(row: np.ndarray, vocabulary: np.ndarray, count: int) -> tuple[str, ...]:
    """The heaviest terms, without repeating words: a bigram takes the place of its words."""
    chosen: list[str] = []
    for index in np.argsort(-row, kind="stable"):
        if len(chosen) == count or row[index] <= 0:
            break
        term = str(vocabulary[index])
        parts = term.split()
        if set(parts) <= {word for c in chosen for word in c.split()}:
            continue
        inside = [i for i, c in enumerate(chosen) if c in parts]
        if inside:
            chosen[inside[0]] = term
            chosen = [c for c in chosen if c not in parts]
        else:
            chosen.append(term)
    return tuple(chosen)


def _quotes(order: np.ndarray, folded: list[str], count: int) -> tuple[int, ...]:
    """The first ``count`` texts in order, skipping one that only repeats an earlier one."""
    picked: list[int] = []
    seen: set[str] = set()
    for index in order:
        if len(picked) == count:
            break
        if folded[index] not in seen:
            seen.add(folded[index])
            picked.append(int(index))
    return tuple(picked)


def _rule_phrases(
    row: np.ndarray,
    vocabulary: np.ndarray,
    presence: sparse.spmatrix,
    members: np.ndarray,
    count: int,
) -> tuple[str, ...]:
    """Up to ``count`` phrases that together match most of the cluster and little else.

    Greedy set cover over the component's heavier terms: each step takes the
    term that finds the most cluster texts not yet found, among terms most of
    whose texts are in the cluster (MIN_PRECISION); it stops at TARGET_COVERAGE.
    Ties go to the heavier term.
    """
    candidates = [i for i in np.argsort(-row, kind="stable")[: 5 * count] if row[i] > 0]
    inside = np.zeros(presence.shape[0], dtype=bool)
    inside[members] = True
    found = np.zeros(presence.shape[0], dtype=bool)
    chosen: list[str] = []
    rows_of = {int(i): presence[:, int(i)].indices for i in candidates}
    usable = [i for i in candidates if inside[rows_of[int(i)]].mean() >= MIN_PRECISION]
    while len(chosen) < count and found[inside].mean() < TARGET_COVERAGE:
        gains = [
            (int(np.sum(inside[rows_of[int(i)]] & ~found[rows_of[int(i)]])), i) for i in usable
        ]
        best_gain, best = max(gains, key=lambda g: g[0], default=(0, -1))
        if best_gain == 0:
            break
        chosen.append(str(vocabulary[best]))
        found[rows_of[int(best)]] = True
        usable.remove(best)
    return tuple(chosen)
