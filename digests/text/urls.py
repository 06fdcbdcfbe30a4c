"""Canonical form of article URLs, so that the same page reached two ways is one article.

Pure. Lower-cases scheme and host, drops the default port, the fragment and tracking
parameters (utm_*, fbclid, gclid, …), and sorts the remaining query parameters.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["canonical_url"]

_TRACKING = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid"}
)


def canonical_url(url: str) -> str:
    """Return the canonical form of ``url`` (unchanged when it is not an absolute http(s) URL)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url.strip()
    host = parts.hostname.lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))
