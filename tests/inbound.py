"""Deliver customer messages in tests the way a channel would."""

import itertools

from tickets.routing import InboundMessage, route_inbound_message

_ids = itertools.count(1)


def deliver(channel, contact_id="+6281200000001", text="Hello", *, message_id=None, name="Budi"):
    inbound = InboundMessage(
        message_id=message_id or f"msg-{next(_ids)}", contact_id=contact_id, text=text, contact_name=name
    )
    return route_inbound_message(channel=channel, inbound=inbound)
