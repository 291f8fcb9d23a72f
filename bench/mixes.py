"""The three inbound mixes: new contacts, existing open tickets, blocked contacts."""

from itertools import count

from .seed import Dataset

MIXES = ("new_contacts", "open_tickets", "blocked_contacts")
_serial = count(1)


def deliveries(mix: str, data: Dataset, n: int, tag: str) -> list[tuple[int, dict]]:
    """Return n (channel id, API-shaped payload) pairs for the mix; message ids never repeat across calls."""
    run = next(_serial)
    out = []
    for k in range(n):
        if mix == "new_contacts":
            channel_id = data.channel_ids[k % len(data.channel_ids)]
            address = f"bench-{tag}-{run}-{k}"
            name = f"New customer {k}"
        else:
            pool = data.open_tickets if mix == "open_tickets" else data.blocked_tickets
            ticket = pool[(run * 7919 + k) % len(pool)]
            channel_id, address, name = ticket.channel_id, Dataset.address(ticket.contact_index), ""
        payload = {
            "message_id": f"bench.{tag}.{run}.{mix}.{k}",
            "contact": {"id": address, "name": name, "phone": address if address.startswith("+") else None},
            "text": f"Benchmark message {k} for the {mix.replace('_', ' ')} mix",
        }
        out.append((channel_id, payload))
    return out
