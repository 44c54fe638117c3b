"""An offer's state follows how its messages travelled."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shared.models import Message, Offer, OfferStatus


def reflect_delivery(session: Session, message: Message) -> None:
    """An offer waiting for an answer reflects how its message travelled."""
    offer = session.get(Offer, message.offer_id)
    if offer is None or offer.status not in ("queued", "sent", "delivered"):
        return
    if message.status in ("sent", "queued", "accepted") and offer.status == "queued":
        offer.status = OfferStatus.SENT if message.status != "queued" else offer.status
    elif message.status == "delivered":
        offer.status = OfferStatus.DELIVERED
    elif message.status in ("failed", "undelivered") and offer.status == "queued":
        offer.status = OfferStatus.FAILED
