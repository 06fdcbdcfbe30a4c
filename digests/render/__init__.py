"""Render: digests and command replies in each platform's markup. Pure.

common     what every surface shares: numbering, hygiene, bounds, wording, bidi
telegram   HTML messages within 4096 characters, deep links, the reply keyboard
slack      Block Kit messages within Slack's limits, the /news command's spelling
text       plain text for the terminal and the CLI
"""
