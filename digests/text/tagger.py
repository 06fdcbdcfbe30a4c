"""The tagger: what the taxonomy's words match in an article, and how topics are scored.

Pure: no I/O, no clock, no randomness. ``Tagger`` is compiled from validated topics
(``text.taxonomy.Taxonomy`` builds one and answers ``tag`` and ``lookup`` with it).

Matching. Text and phrases are cut into normalised tokens by ``text.arabic.tokenize`` (no
tashkeel or tatweel, one alef, ة → ه, ى → ي, Latin lower-cased). A phrase word matches a text
token that is the word itself behind the proclitics و ف, then ب ك ل, then the article (ال,
or لل after ل): إيران matches وإيران، لإيران، بإيران. A nisba adjective matches its
inflections: إيراني matches الإيرانية، الإيرانيون، الإيرانيين، إيرانيا (and so a country in
يا meets its adjective: سوريا، سوري). A token ending in a
plural ون ين ات also matches the singular phrase word (ات also the word in ة) and a plural
in ون the phrase word in ين (and back).

This is generation from the taxonomy's own words, not stemming: the proclitics are stripped
only where what remains is a word of the taxonomy, so a taxonomy phrase matches exactly the
forms listed above, and no word outside the taxonomy can join it (طالبان is never طالب,
فنان never لبنان). The matching layer (``text.stems``), which search and alerts use, is a
separate and broader notion of "the same word".

A phrase word written with the definite article matches only tokens that carry it: ``الرياض``
matches الرياض، بالرياض، للرياض but not the name رياض; ``رياض`` would match all four. A word
that starts with a hamza alef (ألمانيا) has no article. Multi-word phrases match consecutive
tokens; at each position the longest phrase of any topic wins (فيلق القدس beats القدس,
تنظيم القاعدة beats القاعدة) and matching resumes after it. Title and text are matched
separately, so no phrase spans the two; punctuation inside the text does not separate words.

Scoring (``Tagger.tag``): a leading wire dateline ("دبي، الإمارات العربية المتحدة (CNN)--")
is skipped: it says where the story was filed, not what it is about. Each hit adds role
weight × place weight to its topic, where the place weight is ``TITLE_WEIGHT`` in the title
and, in the text, 1 for the first ``LEAD_TOKENS`` tokens, then ``LEAD_TOKENS / position``: a
name repeated in the lead counts fully, a passing mention deep in a long article counts
little. Scores then flow from children to parents. A topic is kept when its score reaches
``min_score``; its weight is ``1 - exp(-score / WEIGHT_SCALE)`` rounded to 4 places (at
least 0.0001). Results are sorted by weight (descending), then slug, and cut to ``limit``.

Assigning (``Tagger.assign``): of the scored topics, those a reader would file the article
under, judged by ``text.topic_model`` from the evidence (where and how often the topic is
named, its share of the best topic, its kind): a country named once in the last paragraph
is scored but not assigned.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress

from digests.text.arabic import tokenize
from digests.text.topic_model import THRESHOLD, Evidence, confidences

__all__ = [
    "KEYWORD_WEIGHT",
    "LEAD_TOKENS",
    "THRESHOLD",
    "TITLE_WEIGHT",
    "WEIGHT_SCALE",
    "Tagger",
    "TopicPhrases",
    "TopicScore",
]

TITLE_WEIGHT = 2.5
KEYWORD_WEIGHT = 0.35
LEAD_TOKENS = 80
WEIGHT_SCALE = 4.0


@dataclass(frozen=True, slots=True)
class TopicPhrases:
    """A topic as the tagger sees it: its slug, its parent's, and its phrases by role
    (``names`` are the unambiguous names: the Arabic name first unless it is ambiguous)."""

    slug: str
    parent: str | None
    names: tuple[str, ...]
    ambiguous: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    kind: str = "theme"


# --------------------------------------------------------------------------- word forms

# (proclitics, carries the article): و/ف, then ب/ك/ل, then ال (ل + ال is written لل).
_PREFIXES: tuple[tuple[str, bool], ...] = tuple(
    (conj + prep + art, bool(art))
    for conj in ("", "و", "ف")
    for prep in ("", "ب", "ك", "ل")
    for art in ("", "ال")
    if not (prep == "ل" and art)
) + tuple((conj + "لل", True) for conj in ("", "و", "ف"))
_NISBA_ENDINGS = ("ون", "ين", "ات", "ه", "ا")  # after ي: إيرانيون، إيرانيين، إيرانية، إيرانيا
# "دبي، الإمارات العربية المتحدة (CNN)--": where the story was filed, not what it is about.
_DATELINE = re.compile(r"\s*[^\n.!?؟():]{1,60}?\s*\([^()\n]{1,30}\)\s*[-–—]+")
_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")

_Word = tuple[str, bool]  # (word without article and nisba ending, must carry the article)
# What a token can be: (taxonomy word, carries the article) for each way to read it. لكرة is
# the word لكرة (as written in "الاتحاد الدولي لكرة القدم") and ل + كرة; () when none.
_Readings = tuple[tuple[str, bool], ...]


def _nisba_base(token: str) -> str:
    """إيرانية → إيراني: the masculine singular of a nisba form, else ``token`` itself."""
    for ending in _NISBA_ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= 3:
            base = token[: -len(ending)]
            if base.endswith("ي"):
                return base
            break
    return token


def _phrase_words(phrase: str) -> tuple[_Word, ...]:
    """The words of a taxonomy phrase: article removed (and remembered), nisba folded."""
    words: list[_Word] = []
    for raw in phrase.split():
        bare = _TASHKEEL.sub("", unicodedata.normalize("NFKC", raw))
        for n, token in enumerate(tokenize(raw)):
            # Judged on the spelling before normalisation: ألمانيا starts with a hamza alef.
            article = n == 0 and bare.startswith("ال") and len(token) >= 4
            word = token[2:] if article else token
            words.append((_nisba_base(word) if not word.isascii() else word, article))
    return tuple(words)


@dataclass(frozen=True, slots=True)
class TopicScore:
    """A topic assigned to an article: its slug and a weight in (0, 1]."""

    slug: str
    weight: float


_ALIAS, _AMBIGUOUS, _KEYWORD, _EXCLUDE = range(4)
_MEMO_SIZE = 1 << 17
_ROLE_WEIGHT = (1.0, 1.0, KEYWORD_WEIGHT, 0.0)


_Claim = tuple[int, int]  # (topic index, role)


class _Node:
    """A node of the phrase trie: one edge per (word, article required), the claims of the
    phrases that end here."""

    __slots__ = ("children", "claims")

    def __init__(self) -> None:
        self.children: dict[str, list[tuple[bool, _Node]]] = {}
        self.claims: list[_Claim] = []


# --------------------------------------------------------------------------- the tagger


class Tagger:
    """Topics compiled for tagging: the phrase trie, the parents, the word forms.

    Does not interact with any dependencies, only processes data. The topics must be valid
    (``Taxonomy`` checks them): slugs are unique, parents exist and form no cycle.
    """

    __slots__ = (
        "_children",
        "_heads",
        "_kinds",
        "_levels",
        "_memo",
        "_parent",
        "_phrases",
        "_root",
        "_slugs",
        "_surfaces",
    )

    def __init__(self, topics: Sequence[TopicPhrases]) -> None:
        self._slugs = [topic.slug for topic in topics]
        self._kinds = [topic.kind for topic in topics]
        position = {slug: i for i, slug in enumerate(self._slugs)}
        self._parent: list[int | None] = [
            None if topic.parent is None else position[topic.parent] for topic in topics
        ]
        depths = [self._depth_of(i) for i in range(len(topics))]
        self._children: list[list[int]] = [[] for _ in topics]
        for i, parent in enumerate(self._parent):
            if parent is not None:
                self._children[parent].append(i)
        # Deepest topics first, so that scores flow up a whole chain in one pass.
        self._levels = [
            [i for i, depth in enumerate(depths) if depth == level]
            for level in range(max(depths, default=0), 0, -1)
        ]
        self._phrases, self._root, self._surfaces = _compile(topics)
        # Token → _readings(token): news vocabulary repeats, so most tokens are answered by
        # one lookup. A bounded memo of a pure function; it never changes a result. When full
        # it is replaced, never cleared, so that a scan in another thread keeps a whole one.
        self._memo: dict[str, _Readings] = {}
        self._heads: set[str] = set()  # memoised tokens whose word starts some phrase

    def _depth_of(self, i: int) -> int:
        depth, node = 0, self._parent[i]
        while node is not None:
            depth += 1
            node = self._parent[node]
        return depth

    def overlaps(self) -> dict[str, tuple[str, ...]]:
        """Phrases that are an unambiguous alias of more than one topic: phrase → slugs."""
        slugs = self._slugs
        out: dict[str, tuple[str, ...]] = {}
        for words, claims in self._phrases.items():
            owners = sorted({slugs[t] for t, role in claims if role == _ALIAS})
            if len(owners) > 1:
                out[" ".join(("ال" if art else "") + word for word, art in words)] = tuple(owners)
        return out

    def lookup(self, phrase: str) -> tuple[str, ...]:
        """Slugs of the topics that have the whole of ``phrase`` as an alias or ambiguous name."""
        tokens = tokenize(phrase)
        readings = {token: self._readings(token) for token in tokens}
        length, claims = _longest(self._root, tokens, readings, 0)
        if length != len(tokens):
            return ()
        return tuple(sorted({self._slugs[t] for t, role in claims if role <= _AMBIGUOUS}))

    def tag(
        self, title: str, text: str, *, limit: int = 5, min_score: float = 1.0
    ) -> list[TopicScore]:
        """The topics the article names, strongest first (see the module docstring)."""
        if min_score <= 0:
            raise ValueError("min_score must be positive")
        score, _ = self._score(title, text)
        slugs = self._slugs
        found = [
            TopicScore(slugs[t], max(round(1.0 - math.exp(-s / WEIGHT_SCALE), 4), 0.0001))
            for t, s in score.items()
            if s >= min_score
        ]
        found.sort(key=lambda topic: (-topic.weight, topic.slug))
        return found[: max(limit, 0)]

    def assign(
        self, title: str, text: str, *, limit: int = 10, min_score: float = 1.0
    ) -> list[TopicScore]:
        """The topics a reader would file the article under, most certain first.

        Of the topics ``tag`` finds, those whose confidence (``text.topic_model``) reaches
        ``THRESHOLD``; the most certain one is kept even below it, so that an article that
        names a topic is never left with none. ``weight`` is the confidence (0.0001–1).
        """
        evidence = self.evidence(title, text)
        ranked = sorted(
            (
                (confidence, self._slugs[t])
                for (t, e), confidence in zip(
                    evidence, confidences([e for _, e in evidence]), strict=True
                )
                if e.score >= min_score
            ),
            key=lambda pair: (-pair[0], pair[1]),
        )
        kept = [pair for i, pair in enumerate(ranked) if i == 0 or pair[0] >= THRESHOLD]
        return [
            TopicScore(slug, max(round(confidence, 4), 0.0001))
            for confidence, slug in kept[: max(limit, 0)]
        ]

    def evidence(self, title: str, text: str) -> list[tuple[int, Evidence]]:
        """Every topic with a score and its evidence, strongest first (for ``assign`` and
        for training the topic model); topics are indices into the compiled taxonomy."""
        score, found = self._score(title, text)
        out = []
        for topic, value in sorted(score.items(), key=lambda item: (-item[1], item[0])):
            evidence = found.get(topic) or Evidence(self._kinds[topic])
            evidence.score = value
            out.append((topic, evidence))
        return out

    def slug(self, topic: int) -> str:
        """The slug of a topic index from ``evidence``."""
        return self._slugs[topic]

    def _score(self, title: str, text: str) -> tuple[dict[int, float], dict[int, Evidence]]:
        """Each named topic's score, and the evidence of the topics named directly."""
        hits: list[dict[int, float]] = [{}, {}, {}]  # alias, ambiguous, keyword
        found: dict[int, Evidence] = {}
        self._scan(tokenize(title), hits, found, title=True)
        dateline = _DATELINE.match(text)
        body = text[dateline.end() :] if dateline else text
        self._scan(tokenize(body), hits, found, title=False)
        strong, ambiguous, keywords = hits
        score = dict(strong)
        for topic, value in keywords.items():
            score[topic] = score.get(topic, 0.0) + value
        for topic, value in ambiguous.items():
            parent = self._parent[topic]
            if (
                topic in strong
                or (parent is not None and parent in strong)
                or any(child in strong for child in self._children[topic])
            ):
                score[topic] = score.get(topic, 0.0) + value
            else:
                found.pop(topic, None)  # an ambiguous name alone is no evidence
        for level in self._levels:
            for topic in level:
                parent = self._parent[topic]
                if topic in score and parent is not None:
                    score[parent] = score.get(parent, 0.0) + score[topic]
        return score, found

    def _readings(self, token: str) -> _Readings:
        """The taxonomy words that ``token`` is a form of, each with whether it carries ال.

        The token as written, and its nisba base or its singular: ولاية is و + آية (from
        "أوبن إيه آي") as written and the nisba ولاي; all readings are kept.
        """
        surfaces = self._surfaces
        found = surfaces.get(token, ())
        if len(token) < 4:
            return found
        base = _nisba_base(token)
        if base is not token:
            return found + surfaces.get(base, ())
        ending, stem = token[-2:], token[:-2]
        if ending == "ات":  # رياضات: رياضة (not رياض), مستوطنات: مستوطنة or مستوطن
            return found + (surfaces.get(stem + "ه") or surfaces.get(stem, ()))
        if ending in ("ون", "ين"):  # مستوطنون: مستوطن or مستوطنين
            other = stem + ("ين" if ending == "ون" else "ون")
            return found + (surfaces.get(stem) or surfaces.get(other, ()))
        return found

    def _scan(
        self,
        tokens: list[str],
        hits: list[dict[int, float]],
        found: dict[int, Evidence],
        *,
        title: bool,
    ) -> None:
        root, memo, heads = self._root, self._memo, self._heads
        # Per-token work stays in C (set, map, compress); Python sees only new word types
        # and the positions where some phrase may start.
        new = set(tokens).difference(memo)
        if new:
            if len(memo) + len(new) > _MEMO_SIZE:
                memo, heads = self._memo, self._heads = {}, set()
                new = set(tokens)
            for token in new:
                readings = memo[token] = self._readings(token)
                if any(word in root.children for word, _ in readings):
                    heads.add(token)
        resume = 0  # matching resumes after the last phrase found
        for i in compress(range(len(tokens)), map(heads.__contains__, tokens)):
            if i < resume:
                continue
            length, claims = _longest(root, tokens, memo, i)
            if not length:
                continue
            place = TITLE_WEIGHT if title else (1.0 if i < LEAD_TOKENS else LEAD_TOKENS / i)
            for topic, role in claims:
                if role != _EXCLUDE:
                    bucket = hits[role]
                    bucket[topic] = bucket.get(topic, 0.0) + _ROLE_WEIGHT[role] * place
                    _count(found, topic, self._kinds[topic], role, i, title=title)
            resume = i + length


def _count(
    found: dict[int, Evidence], topic: int, kind: str, role: int, at: int, *, title: bool
) -> None:
    """Count one match of ``topic`` in its evidence."""
    evidence = found.get(topic)
    if evidence is None:
        evidence = found[topic] = Evidence(kind)
    keyword = role == _KEYWORD
    if title:
        if keyword:
            evidence.title_keywords += 1
        else:
            evidence.title_names += 1
        return
    if keyword:
        evidence.text_keywords += 1
    else:
        evidence.text_names += 1
    if evidence.first is None:
        evidence.first = at


def _longest(
    root: _Node, tokens: list[str], readings: Mapping[str, _Readings], start: int
) -> tuple[int, list[_Claim]]:
    """The longest phrase at ``tokens[start:]``: its length in tokens and its claims.

    Phrases that differ only in the article (الرياض, رياض) can both match; their claims are
    merged, one per topic, keeping the strongest role (alias < ambiguous < keyword < exclude).
    """
    best = 0
    found: list[list[_Claim]] = []
    stack = [(root, start)]
    while stack:
        node, at = stack.pop()
        if at == len(tokens):
            continue
        for word, carries in readings[tokens[at]]:
            for article, child in node.children.get(word, ()):
                if article and not carries:
                    continue
                depth = at + 1 - start
                if child.claims:
                    if depth > best:
                        best, found = depth, [child.claims]
                    elif depth == best and child.claims not in found:
                        found.append(child.claims)
                if child.children:
                    stack.append((child, at + 1))
    if len(found) <= 1:
        return best, found[0] if found else []
    strongest: dict[int, int] = {}
    for claims in found:
        for topic, role in claims:
            if role < strongest.get(topic, _EXCLUDE + 1):
                strongest[topic] = role
    return best, list(strongest.items())


def _compile(
    topics: Sequence[TopicPhrases],
) -> tuple[dict[tuple[_Word, ...], list[_Claim]], _Node, dict[str, _Readings]]:
    """Every phrase with its claims, the phrase trie, and the surface forms of the words."""
    phrases: dict[tuple[_Word, ...], list[_Claim]] = {}
    for t, topic in enumerate(topics):
        listed = [(p, _ALIAS) for p in topic.names]
        listed += [(p, _AMBIGUOUS) for p in topic.ambiguous]
        listed += [(p, _KEYWORD) for p in topic.keywords]
        listed += [(p, _EXCLUDE) for p in topic.exclude]
        roles: dict[tuple[_Word, ...], int] = {}
        for phrase, role in listed:
            # A phrase listed twice in one topic keeps its first, strongest role.
            roles.setdefault(_phrase_words(phrase), role)
        for words, role in roles.items():
            phrases.setdefault(words, []).append((t, role))
    root = _Node()
    surfaces: dict[str, _Readings] = {}
    for words, claims in phrases.items():
        node = root
        for word, article in words:
            edges = node.children.setdefault(word, [])
            child = next((c for a, c in edges if a == article), None)
            if child is None:
                child = _Node()
                edges.append((article, child))
            node = child
            for prefix, carries in _PREFIXES:
                surface = prefix + word
                known = surfaces.get(surface, ())
                if (word, carries) not in known:
                    surfaces[surface] = (*known, (word, carries))
        node.claims = claims
    return phrases, root, surfaces
