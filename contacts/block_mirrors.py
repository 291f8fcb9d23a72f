"""Providers told of a block: a channel kind may mirror BlockDesk's block to its own block list.

contacts never imports channels: a channel kind registers a mirror when it
starts (channels.apps), and contacts.blocking calls every mirror after a block
or an unblock commits. A mirror must return quickly (enqueue a task) and never
raise: the block itself is already done.
"""

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

# Called with the contact's id and whether it is now blocked.
BlockMirror = Callable[[int, bool], None]

_mirrors: list[BlockMirror] = []


def register_block_mirror(mirror: BlockMirror) -> None:
    if mirror not in _mirrors:
        _mirrors.append(mirror)


def mirror_block_on_commit(contact_id: int, *, blocked: bool) -> None:
    """Tell every registered mirror of the contact's new state once the current transaction commits."""
    if _mirrors:
        transaction.on_commit(lambda: _run(contact_id, blocked))


def _run(contact_id: int, blocked: bool) -> None:
    for mirror in list(_mirrors):
        try:
            mirror(contact_id, blocked)
        except Exception:  # a provider's mirror must never undo or hide a block that is done
            logger.exception("Block mirror %s failed for contact %s", mirror, contact_id)
