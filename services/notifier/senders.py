"""Which of the pool's sending numbers texts a recipient: always the same one.

A pool (TWILIO_FROM="+1450…,+1514…,…") multiplies what the network may send a
second, since the carrier limits each number on its own (shared.throttle). An
organization must still hear from one number: its replies then land in one
conversation on its phone, and a person who saved the number recognizes it.

The choice is rendezvous hashing (highest random weight): every number gets a
score from a hash of (number, recipient) and the highest wins. It is the same
in every process and on every machine (SHA-256, not Python's salted hash()),
and when a number is added to the pool or taken out, only the recipients who
gain or lose that number change sender, not most of them as `hash % n` would.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache


def sender_for(pool: tuple[str, ...], recipient: str) -> str:
    """The pool's number that always texts `recipient`; "" for an empty pool."""
    if len(pool) <= 1:
        return pool[0] if pool else ""
    return _choose(pool, recipient)


# A pool of hundreds of numbers costs one hash per number; the recipients of
# a busy worker repeat, so their choice is remembered.
@lru_cache(maxsize=65536)
def _choose(pool: tuple[str, ...], recipient: str) -> str:
    return max(pool, key=lambda number: _score(number, recipient))


def _score(number: str, recipient: str) -> bytes:
    return hashlib.sha256(f"{number}\n{recipient}".encode()).digest()[:8]
