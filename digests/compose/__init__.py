"""Compose: what a reader is shown, as data. Pure.

destination   the Destination type: where digests go, when, and what they take
digest        compose a digest from stories: filter, rank, group by topic
reply         spans, paragraphs, buttons and command replies
i18n, texts   every user-facing word in Arabic and English; dates for readers
"""
