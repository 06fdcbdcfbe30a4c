"""Same-story clustering and related earlier coverage over recent articles held in memory.

Pure: no I/O, no clock. Every time is passed in (tz-aware ``datetime``); the index holds only
what it was given. Does not interact with any dependencies, only processes data.

Model
-----
Each document becomes a TF-IDF vector over the stems from ``text.stems.terms``: the title
terms count ``title_weight`` times each, the body counts only its first ``lead_terms`` terms
(the lead carries the event; later paragraphs drift into background that every story on the
topic shares). Term frequency is sublinear (``1 + ln tf``), the inverse document frequency is
``ln((N + 1) / (df + 1)) + 1`` over the documents in the index, and vectors are unit length,
so similarity is a cosine in ``[0, 1]``.

Document frequencies are maintained incrementally by ``add`` and ``evict_before``. A
document's vector is fixed when it is added (with the idf of that moment); a query's vector is
computed with the current idf. Recomputing every stored vector on each change would be exact
but cost O(index) per add; the drift is small once the index holds a few days of news, which is
why the caller rebuilds it at start-up from recent articles in time order.

Queries walk an inverted index (term → postings kept in publication order), so a query only
touches documents that share a term with it and fall in its time window (found by bisection).
The query's common terms, whose combined contribution provably cannot reach half the score
asked for, are not walked at all: they are added afterwards to the few candidates the rarer
terms found. Results are exact (the same as a full scan), and with 50k documents in a 30-day
index a ``same_story`` query takes about a millisecond (``bench/eval_clusters.py``).

Stories
-------
``add`` assigns every document a story id. A document joins the story of its best match
(``same_story``) or starts a new story whose id is its own document id, so story ids are
stable, unique and need no counter. ``add(doc, story_id=known)`` restores a stored assignment:
rebuilding the index by re-adding documents in time order with their stored story ids gives
back the same stories.

Same source: a story is normally joined across outlets, since an outlet rarely writes the same
event twice. Outlets do publish updates and re-posts of a story under new URLs, so a match from
the *same* source is accepted too, but only at the stricter ``same_source_threshold``.

Contracts
---------
* ``add(doc, *, story_id=None) -> int``: index ``doc`` and return its story id; adding an id
  already in the index changes nothing and returns its story id.
* ``same_story(doc, *, window, threshold) -> Match | None``: the most similar document already
  in the index (not ``doc`` itself) published within ``window`` of ``doc`` (either side; when
  documents are added in time order these are the earlier ones) from another source with a
  score ≥ ``threshold``, or from the same source with a score ≥ ``same_source_threshold``.
* ``related(doc, *, k, window, min_score, max_score) -> list[Match]``: up to ``k`` documents
  published before ``doc`` and within ``window`` of it, not in ``doc``'s story, scoring in
  ``[min_score, max_score)``; at most one per story (its best document), best first.
* ``evict_before(t) -> int``: forget documents published before ``t``; returns how many.
* Determinism: equal scores are ordered by document id (lower first); results do not depend on
  dict or set iteration order.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from digests.text.stems import terms

__all__ = [
    "DEFAULT_LEAD_TERMS",
    "DEFAULT_RELATED_MAX",
    "DEFAULT_RELATED_MIN",
    "DEFAULT_RELATED_WINDOW",
    "DEFAULT_SAME_SOURCE_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "DEFAULT_TITLE_WEIGHT",
    "DEFAULT_WINDOW",
    "IndexedDoc",
    "Match",
    "SimilarityIndex",
]

# Threshold, title weight and lead length were chosen on the development half of the labelled
# ANT pairs (bench/eval_clusters.py, docs/stories.md); the held-out half gives the reported
# precision and recall. The same-outlet threshold rests on only 30 labelled same-outlet pairs and
# is kept on the strict side: outlets follow their own stories with close-worded pieces
# (reactions, consequences) that are not the same event.
DEFAULT_THRESHOLD = 0.30
DEFAULT_SAME_SOURCE_THRESHOLD = 0.50
DEFAULT_TITLE_WEIGHT = 2.0
DEFAULT_LEAD_TERMS = 30  # about the first two sentences
DEFAULT_WINDOW = timedelta(hours=48)
DEFAULT_RELATED_WINDOW = timedelta(days=30)
# Related coverage: similar enough to be about the same subject, below the level where two
# articles are usually the same event (which would make the link a duplicate, not context).
DEFAULT_RELATED_MIN = 0.20
DEFAULT_RELATED_MAX = 0.45

# Bounds are compared with a little slack so that rounding never prunes a true candidate.
_EPSILON = 1e-9
# Share of the score asked for that the skipped common terms of a query may add at most (see
# ``SimilarityIndex._scores``). Lower walks more postings, higher leaves more candidates to
# finish one by one; 0.5 was the cheapest on 50k ANT-like documents.
_LIGHT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """An article as the index sees it: identity, outlet, time and its terms.

    ``title_terms`` and ``body_terms`` come from ``text.stems.terms`` (in order, repeats
    kept); ``published`` must be timezone-aware.
    """

    id: int
    source: str
    published: datetime
    title_terms: tuple[str, ...]
    body_terms: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.published.tzinfo is None or self.published.utcoffset() is None:
            raise ValueError(f"IndexedDoc {self.id}: published must be timezone-aware")

    @classmethod
    def from_text(
        cls, id: int, source: str, published: datetime, title: str, text: str
    ) -> IndexedDoc:
        """Build a document from its display title and body text."""
        return cls(id, source, published, tuple(terms(title)), tuple(terms(text)))


@dataclass(frozen=True, slots=True)
class Match:
    """A document found by a query, with its story and its cosine similarity to the query."""

    doc_id: int
    story_id: int
    source: str
    published: datetime
    score: float


class _Postings:
    """One term's postings in publication order: parallel lists of times, doc ids, weights.

    Time order lets a windowed query bisect to the documents it may use and lets eviction cut
    a prefix; ``max_weight`` is the largest weight ever posted (an upper bound for pruning,
    never lowered on eviction, so it stays valid).
    """

    __slots__ = ("doc_ids", "max_weight", "times", "weights")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.doc_ids: list[int] = []
        self.weights: list[float] = []
        self.max_weight = 0.0

    def insert(self, timestamp: float, doc_id: int, weight: float) -> None:
        if not self.times or self.times[-1] <= timestamp:
            self.times.append(timestamp)
            self.doc_ids.append(doc_id)
            self.weights.append(weight)
        else:  # a late arrival: keep the lists in time order
            at = bisect.bisect_right(self.times, timestamp)
            self.times.insert(at, timestamp)
            self.doc_ids.insert(at, doc_id)
            self.weights.insert(at, weight)
        self.max_weight = max(self.max_weight, weight)

    def drop_before(self, cutoff: float) -> None:
        cut = bisect.bisect_left(self.times, cutoff)
        del self.times[:cut], self.doc_ids[:cut], self.weights[:cut]


@dataclass(slots=True)
class _Entry:
    doc_id: int
    source: str
    published: datetime
    timestamp: float
    story_id: int
    vector: dict[str, float]


class SimilarityIndex:
    """TF-IDF cosine index over recent documents, assigning each document to a story.

    ``threshold`` and ``window`` are the defaults of ``same_story`` and the rule ``add`` uses.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        same_source_threshold: float | None = DEFAULT_SAME_SOURCE_THRESHOLD,
        window: timedelta = DEFAULT_WINDOW,
        title_weight: float = DEFAULT_TITLE_WEIGHT,
        lead_terms: int = DEFAULT_LEAD_TERMS,
    ) -> None:
        if title_weight < 1.0:
            raise ValueError("title_weight must be at least 1")
        if lead_terms < 0:
            raise ValueError("lead_terms must not be negative")
        self.threshold = threshold
        self.same_source_threshold = same_source_threshold
        self.window = window
        self.title_weight = title_weight
        self.lead_terms = lead_terms
        self._entries: dict[int, _Entry] = {}
        self._postings: dict[str, _Postings] = {}
        self._by_time: list[tuple[float, int]] = []  # heap of (timestamp, doc id)

    # ------------------------------------------------------------------ state

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._entries

    def story_of(self, doc_id: int) -> int:
        """The story id of an indexed document (``KeyError`` if it is not in the index)."""
        return self._entries[doc_id].story_id

    def stories(self) -> dict[int, list[int]]:
        """Every story in the index: story id → its document ids, in ascending order."""
        out: dict[int, list[int]] = {}
        for doc_id in sorted(self._entries):
            out.setdefault(self._entries[doc_id].story_id, []).append(doc_id)
        return out

    # ------------------------------------------------------------------ vectors

    def _weigh(self, doc: IndexedDoc, *, counting_itself: bool) -> dict[str, float]:
        """The unit TF-IDF vector of ``doc`` with the current document frequencies, counting
        ``doc`` itself among the documents when it is about to be added."""
        counts: dict[str, float] = {}
        for term in doc.title_terms:
            counts[term] = counts.get(term, 0.0) + self.title_weight
        for term in doc.body_terms[: self.lead_terms]:
            counts[term] = counts.get(term, 0.0) + 1.0
        extra = 1 if counting_itself else 0
        n = len(self._entries) + extra
        weights: dict[str, float] = {}
        for term, count in counts.items():
            plist = self._postings.get(term)
            df = (len(plist.doc_ids) if plist is not None else 0) + extra
            weights[term] = (1.0 + math.log(count)) * (math.log((n + 1) / (df + 1)) + 1.0)
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if norm == 0.0:
            return {}
        return {t: w / norm for t, w in weights.items()}

    def vector(self, doc: IndexedDoc) -> dict[str, float]:
        """The unit TF-IDF vector of ``doc`` (its stored one if it is in the index)."""
        entry = self._entries.get(doc.id)
        if entry is not None:
            return entry.vector
        return self._weigh(doc, counting_itself=False)

    def similarity(self, a: IndexedDoc, b: IndexedDoc) -> float:
        """Cosine similarity of two documents with the index's current weights."""
        va, vb = self.vector(a), self.vector(b)
        if len(vb) < len(va):
            va, vb = vb, va
        return sum(w * vb.get(t, 0.0) for t, w in va.items())

    # ------------------------------------------------------------------ scoring

    def _scores(
        self, query: dict[str, float], min_score: float, start: float, end: float
    ) -> dict[int, float]:
        """Exact scores of documents published in ``[start, end)`` that may reach ``min_score``.

        Every document scoring at least ``min_score`` is returned with its exact score; others
        may be returned too. The query terms are split in two (a cosine bound makes it exact):

        * *light* terms, chosen greedily by most postings per unit of squared query weight
          (the common words), as long as everything they can add to a document,
          ``min(‖q_light‖, Σ q_t · max_weight_t)``, stays below ``_LIGHT_SHARE × min_score``.
          Their postings are never walked.
        * *heavy* terms, the rest: their postings, cut to the window by bisection, are
          accumulated. A document they never reach scores below ``min_score``; one whose
          partial score plus the light bound stays below ``min_score`` is dropped; the
          survivors get the light terms' share from their own stored vectors.
        """
        postings = self._postings
        slices: list[tuple[float, str, float, int, int]] = []  # (cost, term, weight, lo, hi)
        for term, weight in query.items():
            plist = postings.get(term)
            if plist is None:
                continue
            lo = bisect.bisect_left(plist.times, start)
            hi = bisect.bisect_left(plist.times, end, lo)
            if hi > lo:
                slices.append(((hi - lo) / (weight * weight), term, weight, lo, hi))
        slices.sort(key=lambda c: (-c[0], c[1]))
        budget = _LIGHT_SHARE * min_score
        light: list[tuple[str, float]] = []
        heavy: list[tuple[str, float, int, int]] = []
        mass = linear = 0.0
        for _, term, weight, lo, hi in slices:
            bound = min(
                math.sqrt(mass + weight * weight), linear + weight * postings[term].max_weight
            )
            if bound < budget:
                light.append((term, weight))
                mass += weight * weight
                linear += weight * postings[term].max_weight
            else:
                heavy.append((term, weight, lo, hi))
        light_bound = min(math.sqrt(mass), linear)

        scores: dict[int, float] = {}
        get = scores.get
        for term, weight, lo, hi in heavy:
            plist = postings[term]
            for doc_id, w in zip(plist.doc_ids[lo:hi], plist.weights[lo:hi], strict=True):
                scores[doc_id] = get(doc_id, 0.0) + weight * w
        if not light:
            return scores
        floor = min_score - light_bound - _EPSILON
        entries = self._entries
        finished: dict[int, float] = {}
        for doc_id, score in scores.items():
            if score >= floor:
                vector = entries[doc_id].vector
                for term, weight in light:
                    posted = vector.get(term)
                    if posted is not None:
                        score += weight * posted
                finished[doc_id] = score
        return finished

    # ------------------------------------------------------------------ queries

    def similar(
        self, doc: IndexedDoc, *, since: datetime, until: datetime, min_score: float
    ) -> list[Match]:
        """Indexed documents published in ``[since, until)`` scoring at least ``min_score``.

        ``doc`` itself is left out; best first, ties by lower id. The building block of the
        other queries, public for evaluation and diagnostics.
        """
        query = self.vector(doc)
        if not query:
            return []
        found = self._scores(query, min_score, since.timestamp(), until.timestamp())
        ranked = sorted(
            ((s, d) for d, s in found.items() if s >= min_score - _EPSILON and d != doc.id),
            key=lambda sd: (-sd[0], sd[1]),
        )
        return [self._match(doc_id, score) for score, doc_id in ranked]

    def same_story(
        self,
        doc: IndexedDoc,
        *,
        window: timedelta | None = None,
        threshold: float | None = None,
    ) -> Match | None:
        """The best match for ``doc`` among indexed documents within ``window`` of it, or None.

        Another source must score ≥ ``threshold``; the same source ≥ ``same_source_threshold``
        (never, when that is None). Defaults are the index's settings.
        """
        window = self.window if window is None else window
        threshold = self.threshold if threshold is None else threshold
        same_source = self.same_source_threshold
        floor = threshold if same_source is None else min(threshold, same_source)
        query = self.vector(doc)
        if not query:
            return None
        center = doc.published.timestamp()
        span = window.total_seconds()
        start, end = center - span, math.nextafter(center + span, math.inf)
        best: tuple[float, int] | None = None
        for doc_id, score in self._scores(query, floor, start, end).items():
            if doc_id == doc.id:
                continue
            entry = self._entries[doc_id]
            if entry.source == doc.source:
                if same_source is None or score < same_source - _EPSILON:
                    continue
            elif score < threshold - _EPSILON:
                continue
            if best is None or (-score, doc_id) < (-best[0], best[1]):
                best = (score, doc_id)
        if best is None:
            return None
        return self._match(best[1], best[0])

    def related(
        self,
        doc: IndexedDoc,
        *,
        k: int = 3,
        window: timedelta = DEFAULT_RELATED_WINDOW,
        min_score: float = DEFAULT_RELATED_MIN,
        max_score: float = DEFAULT_RELATED_MAX,
    ) -> list[Match]:
        """Up to ``k`` earlier documents on other events, for "related earlier coverage".

        Candidates are published before ``doc`` and at most ``window`` before it, score in
        ``[min_score, max_score)`` (the ceiling keeps out re-tellings of the same event that
        the clustering missed) and are not in ``doc``'s story: its own when it is indexed,
        else the story ``same_story`` would give it. One document per story, best first.
        """
        if k <= 0:
            return []
        query = self.vector(doc)
        if not query:
            return []
        if doc.id in self._entries:
            own_story: int | None = self._entries[doc.id].story_id
        else:
            match = self.same_story(doc)
            own_story = match.story_id if match is not None else None
        end = doc.published.timestamp()
        start = end - window.total_seconds()
        best_per_story: dict[int, tuple[float, int]] = {}
        for doc_id, score in self._scores(query, min_score, start, end).items():
            if doc_id == doc.id or score < min_score - _EPSILON or score >= max_score:
                continue
            entry = self._entries[doc_id]
            if entry.story_id == own_story:
                continue
            held = best_per_story.get(entry.story_id)
            if held is None or (-score, doc_id) < (-held[0], held[1]):
                best_per_story[entry.story_id] = (score, doc_id)
        ranked = sorted(best_per_story.values(), key=lambda sd: (-sd[0], sd[1]))[:k]
        return [self._match(doc_id, score) for score, doc_id in ranked]

    def _match(self, doc_id: int, score: float) -> Match:
        entry = self._entries[doc_id]
        return Match(doc_id, entry.story_id, entry.source, entry.published, score)

    # ------------------------------------------------------------------ updates

    def add(self, doc: IndexedDoc, *, story_id: int | None = None) -> int:
        """Index ``doc`` and return its story id.

        Without ``story_id`` the document joins the story of ``same_story(doc)`` or starts its
        own (story id = its document id). With ``story_id`` (restoring a stored assignment)
        that id is used as given. Re-adding an indexed id returns its story and changes nothing.
        """
        entry = self._entries.get(doc.id)
        if entry is not None:
            return entry.story_id
        if story_id is None:
            match = self.same_story(doc)
            story_id = match.story_id if match is not None else doc.id
        # The document counts in its own idf, as it will for every later query.
        vector = self._weigh(doc, counting_itself=True)
        timestamp = doc.published.timestamp()
        self._entries[doc.id] = _Entry(
            doc.id, doc.source, doc.published, timestamp, story_id, vector
        )
        for term, weight in vector.items():
            plist = self._postings.get(term)
            if plist is None:
                plist = self._postings[term] = _Postings()
            plist.insert(timestamp, doc.id, weight)
        heapq.heappush(self._by_time, (timestamp, doc.id))
        return story_id

    def evict_before(self, t: datetime) -> int:
        """Forget every document published before ``t``; return how many were dropped."""
        cutoff = t.timestamp()
        touched: set[str] = set()
        dropped = 0
        while self._by_time and self._by_time[0][0] < cutoff:
            _, doc_id = heapq.heappop(self._by_time)
            touched.update(self._entries.pop(doc_id).vector)
            dropped += 1
        for term in touched:
            plist = self._postings[term]
            plist.drop_before(cutoff)
            if not plist.doc_ids:
                del self._postings[term]
        return dropped
