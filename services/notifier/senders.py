"""Which of the pool's sending numbers texts a recipient: always the same one.

A pool (TWILIO_FROM="+1450…,+1514…,…") multiplies what the network may send a
second, since the carrier limits each number on its own (shared.throttle). An
organization must still hear from one number: its replies then land in one
conversation on its phone, and a person who saved the number recognizes it.

The choice is rendezvous hashing (highest random weight): every number gets a
score from a hash of (number, recipient) and the highest wins. It is the same
in every process and on every machine (BLAKE2b, not Python's salted hash()),
and when a number is added to the pool or taken out, only the recipients who
gain or lose that number change sender, not most of them as `hash % n` would.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any


def sender_for(pool: tuple[str, ...], recipient: str) -> str:
    """The pool's number that always texts `recipient`; "" for an empty pool."""
    if len(pool) <= 1:
        return pool[0] if pool else ""
    return _choose(pool, recipient)


# A pool of hundreds of numbers costs one hash per number (~0.2 ms for 500);
# the recipients of a busy worker repeat, so their choice is remembered.
@lru_cache(maxsize=65536)
def _choose(pool: tuple[str, ...], recipient: str) -> str:
    tail = recipient.encode()
    best, best_score = pool[0], b""
    for number, seeded in _seeded(pool):
        mixed = seeded.copy()  # the number's part is hashed once per pool
        mixed.update(tail)
        score = mixed.digest()
        if score > best_score:
            best, best_score = number, score
    return best


@lru_cache(maxsize=8)
def _seeded(pool: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    return tuple(
        (number, hashlib.blake2b(f"{number}\n".encode(), digest_size=8))
        for number in pool
    )
