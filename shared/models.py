"""The domain model, as SQLAlchemy 2 typed tables.

Quantities are stored in kg (floats) beside what the farmer wrote (quantity and
unit), so matching and claims never convert twice. Times are UTC in the
database; they are shown in GLANAGE_TZ.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations can alter them on every engine.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite too (it stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class SurplusStatus(enum.StrEnum):
    OPEN = "open"  # announced, not matched yet
    OFFERED = "offered"  # offers out, kg remain
    CLAIMED = "claimed"  # nothing remains
    UNMATCHED = "unmatched"  # no organization could take it
    CANCELLED = "cancelled"  # withdrawn by the farmer
    EXPIRED = "expired"  # its window passed with kg left
    CLOSED = "closed"  # closed by the coordinator with kg left


OPEN_STATUSES = (SurplusStatus.OPEN, SurplusStatus.OFFERED, SurplusStatus.UNMATCHED)


class OfferStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CLAIMED = "claimed"
    DECLINED = "declined"
    CLOSED = "closed"  # nothing left before this organization answered
    EXPIRED = "expired"


class Farm(Base):
    __tablename__ = "farms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float]
    lon: Mapped[float]
    # How far the farmer accepts organizations to come from; None: the default.
    radius_km: Mapped[float | None]
    # The personal link /f/<token>: no password, revocable by changing it.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parcels: Mapped[list[Parcel]] = relationship(
        back_populates="farm", order_by="Parcel.code"
    )
    contacts: Mapped[list[Contact]] = relationship(back_populates="farm")

    @property
    def phone(self) -> str | None:
        return next((c.phone for c in self.contacts if c.phone), None)


class Parcel(Base):
    __tablename__ = "parcels"
    __table_args__ = (UniqueConstraint("farm_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farms.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))  # "P1", "P2", ...
    name: Mapped[str] = mapped_column(String(120), default="")  # "le verger"
    # WKT, a POLYGON or a POINT; lat/lon is its centroid, used for distances.
    geometry_wkt: Mapped[str] = mapped_column(Text)
    lat: Mapped[float]
    lon: Mapped[float]
    # The farmer's own words: access, hours, "don't step on the rows".
    rules: Mapped[str] = mapped_column(Text, default="")

    farm: Mapped[Farm] = relationship(back_populates="parcels")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60), default="")
    municipality: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float]
    lon: Mapped[float]
    service_radius_km: Mapped[float] = mapped_column(default=25.0)
    weekly_capacity_kg: Mapped[float] = mapped_column(default=500.0)
    cold_storage: Mapped[bool] = mapped_column(Boolean, default=False)
    transport: Mapped[bool] = mapped_column(Boolean, default=False)
    # Accepted food categories (shared.crops.CATEGORIES); empty accepts all.
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    channels: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["sms"])
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every change moves it: the matcher's in-memory index reads only what moved.
    updated_at: Mapped[datetime | None] = mapped_column(
        default=utcnow, onupdate=utcnow, index=True
    )

    contacts: Mapped[list[Contact]] = relationship(back_populates="organization")

    @property
    def phone(self) -> str | None:
        return next((c.phone for c in self.contacts if c.phone), None)

    @property
    def email(self) -> str | None:
        return next((c.email for c in self.contacts if c.email), None)


class Contact(Base):
    """A person who texts or gets messages, for a farm or an organization."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    farm_id: Mapped[int | None] = mapped_column(ForeignKey("farms.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    consent_at: Mapped[datetime | None]
    consent_source: Mapped[str] = mapped_column(String(40), default="")
    # What the person was told when they agreed (Law 25 consent record): the
    # text they replied START to, or how the coordinator got their consent.
    consent_text: Mapped[str] = mapped_column(Text, default="")
    opted_out_at: Mapped[datetime | None]
    opted_out_via: Mapped[str] = mapped_column(String(40), default="")
    # Set by `glanage contacts forget` (shared.privacy): the row stays, without
    # name, phone or email, and keeps only one-way hashes of them, so that the
    # number is never texted again if someone adds it back unknowingly.
    erased_at: Mapped[datetime | None]
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    farm: Mapped[Farm | None] = relationship(back_populates="contacts")
    organization: Mapped[Organization | None] = relationship(back_populates="contacts")

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


class Surplus(Base):
    __tablename__ = "surpluses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short code everyone texts about ("A12"); derived from the id, never reused.
    code: Mapped[str | None] = mapped_column(String(8), unique=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farms.id"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id"))
    crop: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40))
    perishable: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(16))
    quantity_kg: Mapped[float]
    remaining_kg: Mapped[float]
    available_until: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default="glean")  # glean | pickup
    status: Mapped[str] = mapped_column(String(12), default=SurplusStatus.OPEN)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="sms")  # sms|form|api
    wave: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    farm: Mapped[Farm] = relationship()
    parcel: Mapped[Parcel | None] = relationship()
    matches: Mapped[list[Match]] = relationship(
        back_populates="surplus", order_by="Match.rank"
    )
    offers: Mapped[list[Offer]] = relationship(
        back_populates="surplus", order_by="Offer.id"
    )
    claims: Mapped[list[Claim]] = relationship(
        back_populates="surplus", order_by="Claim.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Match(Base):
    """One organization considered for a surplus: ranked, or left out and why."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("surplus_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    surplus_id: Mapped[int] = mapped_column(ForeignKey("surpluses.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    rank: Mapped[int | None]  # None when excluded
    distance_km: Mapped[float]
    score: Mapped[float | None]
    # [{"code": "distance", "params": {"km": 4.2}}, ...], rendered in words.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    wave: Mapped[int | None]  # the wave that offered it, if any
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    surplus: Mapped[Surplus] = relationship(back_populates="matches")
    organization: Mapped[Organization] = relationship()


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("surplus_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    surplus_id: Mapped[int] = mapped_column(ForeignKey("surpluses.id"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id"))
    wave: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(10), default="sms")
    status: Mapped[str] = mapped_column(String(12), default=OfferStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]

    surplus: Mapped[Surplus] = relationship(back_populates="offers")
    organization: Mapped[Organization] = relationship()


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    surplus_id: Mapped[int] = mapped_column(ForeignKey("surpluses.id"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    requested_kg: Mapped[float | None]  # None: "all that remains"
    quantity_kg: Mapped[float]
    status: Mapped[str] = mapped_column(String(12), default="confirmed")
    via: Mapped[str] = mapped_column(String(10))  # sms | link | panel | api
    pickup_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What happened at the pickup: pending | collected | no_show.
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    collected_kg: Mapped[float | None]
    # The gleaning share, in percent of what was collected (a third each is
    # the custom; the coordinator edits it per pickup).
    share_farmer_pct: Mapped[float] = mapped_column(default=100 / 3)
    share_gleaners_pct: Mapped[float] = mapped_column(default=100 / 3)
    share_food_bank_pct: Mapped[float] = mapped_column(default=100 / 3)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None]

    surplus: Mapped[Surplus] = relationship(back_populates="claims")
    organization: Mapped[Organization] = relationship()


class Message(Base):
    """Every SMS and email, in and out, exactly as sent or received."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_to_addr", "to_addr"),
        Index("ix_messages_from_addr", "from_addr"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    channel: Mapped[str] = mapped_column(String(5))  # sms | email
    to_addr: Mapped[str] = mapped_column(String(254))
    from_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # received | queued | sent | delivered | undelivered | failed
    status: Mapped[str] = mapped_column(String(12))
    # Twilio MessageSid or SMTP Message-ID; unique so a webhook retry is seen.
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int | None]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    surplus_id: Mapped[int | None] = mapped_column(ForeignKey("surpluses.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Event(Base):
    """The transactional outbox: written with the change, published by the relay."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_unpublished", "published_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]


class ProcessedEvent(Base):
    """Which consumer handled which event: a second delivery does nothing."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[int] = mapped_column(primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingAnnouncement(Base):
    """An announcement missing a piece (parcel, quantity) until the farmer answers."""

    __tablename__ = "pending_announcements"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


ROLES = ("coordinator", "editor", "viewer")


class User(Base):
    """A person who logs in to the panel.

    coordinator: runs the loop and the directory; editor: site content;
    viewer: reads everything, changes nothing.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="coordinator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def can(self, role: str) -> bool:
        """Coordinators can do everything; editors edit content; viewers read."""
        if self.role == "coordinator":
            return True
        return self.role == role


class AuditEntry(Base):
    """Every change a person makes in the panel: who, what, when, before/after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User | None] = relationship()


# --- the network's public site, newsletter and surveys -------------------------

CONTENT_KINDS = (
    "news",  # /nouvelles
    "event",  # /evenements
    "partner",  # /partenaires
    "resource",  # /boite-a-outils
    "factsheet",  # /fiches
    "roadmap",  # /feuille-de-route
    "job",  # /emplois
    "page",  # about, gleaning, contact: fixed pages the editors write
)


class ContentItem(Base):
    """One piece of the public site, in French and English, draft or published.

    What only some kinds have (an event's dates, a partner's MRC, a roadmap
    item's term) lives in `fields`, checked by shared.content per kind.
    """

    __tablename__ = "content_items"
    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    title_fr: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    summary_fr: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")  # Markdown
    body_en: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str] = mapped_column(String(300), default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Subscriber(Base):
    """A newsletter subscriber, with the record of their consent."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # pending (waiting for the confirmation click) | active | unsubscribed
    status: Mapped[str] = mapped_column(String(12), default="pending")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    consent_at: Mapped[datetime | None]
    consent_method: Mapped[str] = mapped_column(String(40), default="")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NewsletterIssue(Base):
    __tablename__ = "newsletter_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_fr: Mapped[str] = mapped_column(String(300))
    subject_en: Mapped[str] = mapped_column(String(300), default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")  # Markdown
    body_en: Mapped[str] = mapped_column(Text, default="")
    # draft | sending | sent
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class NewsletterDelivery(Base):
    """One issue to one subscriber: sent, opened, clicked."""

    __tablename__ = "newsletter_deliveries"
    __table_args__ = (UniqueConstraint("issue_id", "subscriber_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_issues.id"), index=True
    )
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    opened_at: Mapped[datetime | None]
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyResponse(Base):
    """A satisfaction survey sent after a pickup, or to a partner; its answers."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # pickup_farmer | pickup_organization | partner
    kind: Mapped[str] = mapped_column(String(24))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    score: Mapped[int | None]  # 1 (not at all) .. 5 (very satisfied)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]


class PageView(Base):
    """Visits counted without cookies or personal data: a path, a day, a count."""

    __tablename__ = "page_views"
    __table_args__ = (UniqueConstraint("path", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(300))
    day: Mapped[date] = mapped_column(Date, index=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
