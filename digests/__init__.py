"""The core pipeline, platform-free: no chat SDK, no scheduler, no environment.

The folder listing is the pipeline: ``ingest`` (feeds → articles with clean text), ``text``
(the Arabic text layer: summaries, topics, stories, search terms), ``compose`` (digests and
replies as data), ``render`` (Telegram, Slack and text markup), ``store`` (the database, one
repository per aggregate) and ``deliver`` (the outbox and sending). ``models``, ``errors``,
``clock`` and ``metrics`` are the vocabulary every stage shares.
"""
