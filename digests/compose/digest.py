"""Compose a digest for one destination from the stories that are new there.

Pure: takes stories (each with its articles, topics and related earlier articles) and the
destination's choices, returns a ``Digest``. Which stories are new for a destination is the
store's business; this module filters, ranks, groups and words them.

Filters: the destination's topics and excluded topics, sources, and keyword rules (a story
is kept when one of its articles matches a keyword rule and none matches an excluded one;
the store hands over each article's keys in ``StoryCandidate.keys``).

Ranking: how many outlets covered the story, then how recent it is (a story loses half its
recency bonus every 12 hours), then the weight of its main topic. Stories are grouped under
their main taxonomy topic; sections are ordered by their best story, and stories without a
taxonomy topic close the digest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digests.models import Article, Digest, DigestItem, DigestSection, Link, TopicRef
from digests.text.brief import Report, brief
from digests.text.keywords import ArticleKeys, Rule
from digests.text.summarise import summarise

__all__ = ["DigestChoices", "StoryCandidate", "StoryTopic", "compose", "story_item"]

_RECENCY_HALF_LIFE_HOURS = 12.0
_MAX_TOPICS_SHOWN = 3
_MAX_RELATED = 2


@dataclass(frozen=True, slots=True)
class StoryTopic:
    """A topic of a story: how a digest names it, its weight, and whether it is a taxonomy
    topic (``False``: a keyphrase found in the text)."""

    ref: TopicRef
    weight: float
    taxonomy: bool = True


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    """A story that may go into a digest: its articles (oldest first), topics, related."""

    story_id: int
    articles: tuple[Article, ...]
    topics: tuple[StoryTopic, ...] = ()
    related: tuple[Article, ...] = ()
    keys: tuple[ArticleKeys, ...] = ()  # of ``articles``, when keyword rules are to be checked


@dataclass(frozen=True, slots=True)
class DigestChoices:
    """What a destination asks of its digests (the composer's part of its settings)."""

    max_items: int = 20
    summary_sentences: int = 2
    summary_chars: int = 280
    topics: frozenset[str] = frozenset()  # only stories with one of these topics (empty: all)
    exclude_topics: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()  # only articles from these sources (empty: all)
    keywords: tuple[Rule, ...] = ()  # only stories an article of which matches one (empty: all)
    exclude_keywords: tuple[Rule, ...] = ()


def compose(
    destination: str,
    stories: Sequence[StoryCandidate],
    now: datetime,
    choices: DigestChoices,
) -> Digest:
    """The digest of ``stories`` for ``destination``: filtered, ranked, grouped by topic."""
    ranked: list[tuple[float, int, StoryCandidate, tuple[Article, ...]]] = []
    for story in stories:
        articles = tuple(
            a for a in story.articles if not choices.sources or a.source in choices.sources
        )
        slugs = {t.ref.slug for t in story.topics}
        if not articles or slugs & choices.exclude_topics:
            continue
        if choices.topics and not slugs & choices.topics:
            continue
        if (choices.keywords or choices.exclude_keywords) and not _keywords_allow(
            story, articles, choices
        ):
            continue
        ranked.append((_score(story, articles, now), story.story_id, story, articles))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    chosen = ranked[: choices.max_items]

    sections: dict[str | None, list[DigestItem]] = {}
    topic_of_section: dict[str | None, TopicRef | None] = {None: None}
    for _, _, story, articles in chosen:
        main = _main_topic(story)
        key = main.slug if main else None
        topic_of_section[key] = main
        sections.setdefault(key, []).append(story_item(story, articles, choices))
    # Sections appear in the order of their best story (dicts keep insertion order); the
    # stories without a taxonomy topic come last.
    ordered = sorted(sections, key=lambda k: k is None)
    return Digest(
        destination=destination,
        created_at=now,
        sections=tuple(
            DigestSection(topic=topic_of_section[k], items=tuple(sections[k])) for k in ordered
        ),
    )


def _keywords_allow(
    story: StoryCandidate, articles: tuple[Article, ...], choices: DigestChoices
) -> bool:
    """Whether an article of the story matches a keyword rule (when there are any) and none
    matches an excluded one."""
    shown = {a.id for a in articles}
    keys = [k for a, k in zip(story.articles, story.keys, strict=False) if a.id in shown]
    if choices.keywords and not any(r.matches(k) for r in choices.keywords for k in keys):
        return False
    return not any(r.matches(k) for r in choices.exclude_keywords for k in keys)


def _score(story: StoryCandidate, articles: tuple[Article, ...], now: datetime) -> float:
    outlets = len({a.source for a in articles})
    newest = max(a.published_at for a in articles)
    age_hours = max(0.0, (now - newest).total_seconds() / 3600)
    recency = math.exp(-age_hours * math.log(2) / _RECENCY_HALF_LIFE_HOURS)
    weight = max((t.weight for t in story.topics if t.taxonomy), default=0.0)
    return outlets + recency + 0.5 * weight


def _main_topic(story: StoryCandidate) -> TopicRef | None:
    taxonomy = [t for t in story.topics if t.taxonomy]
    if not taxonomy:
        return None
    return max(taxonomy, key=lambda t: (t.weight, t.ref.slug)).ref


def story_item(
    story: StoryCandidate, articles: tuple[Article, ...], choices: DigestChoices
) -> DigestItem:
    """The digest item of ``story`` shown through ``articles``: its summary, who else
    reported it, its topics and related earlier stories.

    With one outlet, the first article leads and its summary is the item's. With two or
    more, the item is the story's brief (``text.brief``): the best lead among the outlets,
    then what the others add, each sentence credited; the article of that lead leads the
    item, and the other outlets are "also reported by"."""
    lead = articles[0]  # the first outlet to report it
    if len({a.source for a in articles}) > 1:
        told = brief(
            [Report(a.source, a.title, a.text or a.snippet) for a in articles],
            choices.summary_chars,
            max_sentences=choices.summary_sentences,
        )
        lead = articles[told.lead]
        summary_text = told.text
    elif lead.summary and len(lead.summary) <= choices.summary_chars:
        summary_text = lead.summary  # written by the LLM backend when it is configured
    else:
        summary_text = summarise(
            lead.title,
            lead.text or lead.snippet,
            max_sentences=choices.summary_sentences,
            max_chars=choices.summary_chars,
        ).text
    others: dict[str, Link] = {}
    for article in articles:
        if article.source != lead.source and article.source not in others:
            others[article.source] = Link(article.title, article.url, article.source)
    topics = sorted(story.topics, key=lambda t: (not t.taxonomy, -t.weight, t.ref.slug))
    related = [a for a in story.related if a.story != story.story_id][:_MAX_RELATED]
    return DigestItem(
        article_id=lead.id,
        title=lead.title,
        url=lead.url,
        source=lead.source,
        published_at=lead.published_at,
        summary=summary_text or lead.snippet,
        also_reported_by=tuple(others.values()),
        topics=tuple(t.ref for t in topics[:_MAX_TOPICS_SHOWN]),
        related=tuple(Link(a.title, a.url, a.source) for a in related),
        # The lead's image, else the first other outlet's: a photo tells the story as well.
        image=lead.image_url or next((a.image_url for a in articles if a.image_url), None),
    )
