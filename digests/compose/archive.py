"""Where a posted digest lives in the web archive, and the link a chat digest carries to it.

Pure. A digest's address is its destination, the local day and the slot (the local time, to
the minute) of the time it is for (the scheduled time, else when it was composed), in the
destination's time zone: ``/d/<destination>/<YYYY-MM-DD>/<HH-MM>``, with ``-breaking`` after
the slot of a breaking-news post. Every instance that queues a digest derives the same
address, as it derives the same outbox key, so the link in the message and the archived page
always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from digests.compose.destination import Destination

__all__ = ["DAY", "SLOT", "DigestAddress", "archive_link", "digest_address"]

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
"""An address's day, as it appears in the URL."""
SLOT = re.compile(r"\d{2}-\d{2}(?:-breaking)?")
"""An address's slot, as it appears in the URL."""


@dataclass(frozen=True, slots=True)
class DigestAddress:
    """One archived digest: its destination, local day (``YYYY-MM-DD``) and slot (``HH-MM``,
    ``HH-MM-breaking`` for the breaking lane)."""

    destination: str
    day: str
    slot: str

    @property
    def path(self) -> str:
        """The digest page's path on the web server."""
        return f"/d/{self.destination}/{self.day}/{self.slot}"


def digest_address(
    destination: Destination, when: datetime, *, breaking: bool = False
) -> DigestAddress:
    """The address of ``destination``'s digest for the time ``when`` (aware; naive is UTC)."""
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(destination.timezone))
    slot = f"{local:%H-%M}" + ("-breaking" if breaking else "")
    return DigestAddress(destination.name, f"{local:%Y-%m-%d}", slot)


def archive_link(
    base_url: str | None, destination: Destination, address: DigestAddress
) -> str | None:
    """The absolute URL of the digest's page, or None when the destination is not public or
    no ``[web] base_url`` is set (then no digest links to the archive)."""
    if not base_url or not destination.public:
        return None
    return base_url.rstrip("/") + address.path
