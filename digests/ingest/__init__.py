"""Ingest: feeds in, new articles with clean text out.

pipeline    the refresh, top to bottom: claim due feeds, fetch, parse, store the new
            entries, complete their text, enrich them, record the outcome
fetch       httpx client: conditional GET, redirects, size limit, one deadline
parse       feed bytes → entries (feedparser), HTML fragments → plain text
extract     article page → headline and paragraphs, site boilerplate removed
backoff     when to poll a feed next, after success or error
health      which feeds are failing or recovered, and telling the admins once
opml        feed lists as OPML, read and written; importing them into the store
addresses   whether a URL's host is a public address
llm         optional summaries by a language model (network I/O, extractive fallback)
settings    [poll] and [[feeds]], declared once
"""
