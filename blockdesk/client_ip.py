"""The address of the client behind this request: REMOTE_ADDR, or the trusted proxies' X-Forwarded-For.

Behind TRUSTED_PROXY_COUNT proxies each proxy appends the address it saw to
X-Forwarded-For, so the client is the entry that many places from the right;
everything further left was sent by the client and may be forged. Login
throttling (django-axes' AXES_CLIENT_IP_CALLABLE) uses this, and so should any
per-address limit.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger("blockdesk.client_ip")

NOT_AN_ADDRESS = "X-Forwarded-For entry %r from a trusted proxy is not an address; using REMOTE_ADDR %s."


def client_ip(request) -> str:
    """The client's IP address as the nearest trusted proxy reports it (REMOTE_ADDR with no proxy)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count == 0 or not forwarded.strip():
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    # Fewer entries than proxies: the request skipped an outer proxy, and the leftmost entry is the
    # address the first proxy it did pass saw.
    entry = entries[-count] if len(entries) >= count else entries[0]
    address = _address(entry)
    if address is None:
        logger.warning(NOT_AN_ADDRESS, entry, remote)
        return remote
    return address


def _address(entry: str) -> str | None:
    """The IP address in one X-Forwarded-For entry, which some proxies write with a port ("1.2.3.4:5", "[::1]:5")."""
    candidates = [entry]
    if entry.startswith("[") and "]" in entry:
        candidates.append(entry[1 : entry.index("]")])
    elif entry.count(":") == 1:
        candidates.append(entry.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
