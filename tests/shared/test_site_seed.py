"""The demo site content: complete, bilingual, around today, added once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from shared.content import FIELDS, when
from shared.models import ContentItem
from shared.runtime import Runtime
from shared.site_seed import seed_site


def items(runtime: Runtime) -> list[ContentItem]:
    with runtime.sessions() as session:
        return list(session.scalars(select(ContentItem)))


def test_seeding_twice_adds_nothing_the_second_time(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        assert seed_site(session) is True
        session.commit()
        assert seed_site(session) is False
    published = Counter(i.kind for i in items(runtime) if i.status == "published")
    assert published == {
        "page": 3,
        "news": 4,
        "event": 4,
        "partner": 8,
        "resource": 6,
        "factsheet": 3,
        "roadmap": 8,
        "job": 1,
    }


def test_nothing_is_added_when_editors_already_wrote_something(
    runtime: Runtime,
) -> None:
    with runtime.sessions() as session:
        session.add(ContentItem(kind="news", slug="a-nous", title_fr="À nous"))
        session.commit()
        assert seed_site(session) is False
    assert len(items(runtime)) == 1


def test_every_item_is_bilingual_and_has_its_required_fields(
    runtime: Runtime,
) -> None:
    with runtime.sessions() as session:
        seed_site(session)
        session.commit()
    for item in items(runtime):
        if item.status != "published":
            continue
        assert item.title_fr and item.title_en, item.slug
        assert item.summary_fr and item.summary_en, item.slug
        for spec in FIELDS[item.kind]:
            value = (item.fields or {}).get(spec.name)
            if spec.required:
                assert value, (item.slug, spec.name)
            if spec.choices and value:
                assert value in spec.choices, (item.slug, spec.name)


def test_two_events_to_come_and_two_past(runtime: Runtime) -> None:
    now = datetime(2026, 9, 14, 10, 0, tzinfo=runtime.settings.tz)
    with runtime.sessions() as session:
        seed_site(session, now=now)
        session.commit()
    starts = [when(i, "starts_at") for i in items(runtime) if i.kind == "event"]
    assert all(s and s.tzinfo for s in starts)
    assert sorted(s > now for s in starts if s) == [False, False, True, True]
    assert all(abs(s - now) < timedelta(days=60) for s in starts if s)


def test_partners_cover_the_six_mrcs_with_coordinates(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        seed_site(session)
        session.commit()
    partners = [i for i in items(runtime) if i.kind == "partner"]
    assert len({p.fields["mrc"] for p in partners}) == 6
    for partner in partners:
        assert 45.5 < partner.fields["lat"] < 47.5
        assert -74.5 < partner.fields["lon"] < -72.5


def test_resources_in_three_themes(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        seed_site(session)
        session.commit()
    resources = [i for i in items(runtime) if i.kind == "resource"]
    assert len({r.fields["theme"] for r in resources}) == 3
    assert all(r.fields.get("url") or r.fields.get("file") for r in resources)
