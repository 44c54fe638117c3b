"""The figures page and its CSV: signed-in only, readable by every role, the
kilos of a real SMS exchange on the page and in the export, kind words for
bad dates, and charts that read without colour or script."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.web.panel import figures as page
from shared import newsletter, surveys
from shared.db import transaction
from shared.models import Claim, Contact, Offer, Surplus
from shared.runtime import Runtime
from tests.conftest import FARMER, Twilio

NBSP = "\u00a0"


def sms_exchange(twilio: Twilio, work: Any, runtime: Runtime) -> str:
    """François offers 300 kg of squash; an organization takes 100 by SMS."""
    reply = twilio.reply(FARMER, "DISPO P1 courges 300 kg demain")
    code = re.search(r"\b([A-Z]\d+)\b", reply).group(1)  # type: ignore[union-attr]
    work()
    with runtime.sessions() as session:
        surplus = session.scalar(select(Surplus).where(Surplus.code == code))
        assert surplus is not None
        phones = [
            session.scalar(
                select(Contact.phone).where(
                    Contact.organization_id == offer.organization_id,
                    Contact.phone.is_not(None),
                )
            )
            for offer in session.scalars(
                select(Offer).where(Offer.surplus_id == surplus.id).order_by(Offer.id)
            )
        ]
    org_phone = next(phone for phone in phones if phone)
    answer = twilio.reply(org_phone, f"OUI {code} 100")
    assert "100" in answer
    work()
    return code


def stat(html: str, name: str) -> str:
    found = re.search(rf'class="stat" data-figure="{name}">([^<]*)<', html)
    assert found, f"no {name} card"
    return found.group(1)


def rows_of(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# ---- Access -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/panel/figures", "/panel/figures.csv?table=weekly"])
def test_figures_need_a_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/panel/login" in response.headers["Location"]


def test_every_role_reads_the_figures(
    coordinator: FlaskClient, viewer: FlaskClient
) -> None:
    for who in (coordinator, viewer):
        response = who.get("/panel/figures?lang=en")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'aria-current="page"' in html  # the menu marks the page
        assert html.count('class="stat"') >= 6
        assert stat(html, "offered") == f"0{NBSP}kg"
        assert stat(html, "claim-rate") == "—"  # no division by zero
        # Nothing announced: an empty state, not an empty chart.
        assert "Nothing announced in this period." in html
        assert who.get("/panel/figures.csv?table=mrc").status_code == 200


# ---- The figures of a real exchange ---------------------------------------


def test_page_shows_the_kilos_of_an_sms_exchange(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    sms_exchange(twilio, work, runtime)

    html = coordinator.get("/panel/figures").get_data(as_text=True)
    assert stat(html, "offered") == f"300{NBSP}kg"
    assert stat(html, "claimed") == f"100{NBSP}kg"
    assert stat(html, "collected") == f"0{NBSP}kg"
    assert stat(html, "claim-rate") == f"33{NBSP}%"
    assert stat(html, "active-farms").startswith("1")
    assert stat(html, "active-organizations").startswith("1")
    # Saint-Jacques is in Montcalm; the crop is squash.
    assert "Montcalm" in html and "courge" in html
    # The loop's messages were counted: the farmer's and the organization's
    # texts in, offers and confirmations out.
    messages = int(stat(html, "messages").replace("\u202f", ""))
    assert messages >= 6

    # The coordinator records the pickup: 90 kg collected.
    with runtime.sessions() as session:
        claim = session.scalars(select(Claim)).one()
        claim.outcome, claim.collected_kg = "collected", 90
        session.commit()
    html = coordinator.get("/panel/figures?lang=en").get_data(as_text=True)
    assert stat(html, "collected") == f"90{NBSP}kg"
    assert stat(html, "claim-rate") == "33%"
    assert "squash" in html  # the crop in the reader's language

    # The median time to the first claim is shown, in minutes here.
    assert re.search(r'data-figure="median-first-claim">\d+ min<', html)


def test_csv_exports_have_a_header_and_the_rows(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    sms_exchange(twilio, work, runtime)

    weekly = coordinator.get("/panel/figures.csv?table=weekly")
    assert weekly.status_code == 200
    assert weekly.mimetype == "text/csv"
    assert weekly.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = weekly.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(
        r'filename="glanage-weekly-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"', disposition
    )
    rows = rows_of(weekly)
    assert rows[0][:7] == [
        "week_start",
        "iso_week",
        "surpluses",
        "offered_kg",
        "claimed_kg",
        "collected_kg",
        "claim_rate",
    ]
    assert len(rows) == 1 + 12  # the default range: 12 weeks
    this_week = rows[-1]
    assert this_week[2:7] == ["1", "300", "100", "0", "0.3333"]
    assert sum(int(r[2]) for r in rows[1:]) == 1

    mrc = rows_of(coordinator.get("/panel/figures.csv?table=mrc"))
    assert mrc == [
        ["mrc", "surpluses", "offered_kg", "claimed_kg", "collected_kg", "claim_rate"],
        ["Montcalm", "1", "300", "100", "0", "0.3333"],
    ]
    crop = rows_of(coordinator.get("/panel/figures.csv?table=crop"))
    assert crop[1] == ["courge", "legume", "1", "300", "100", "0", "0.3333"]
    messages = rows_of(coordinator.get("/panel/figures.csv?table=messages"))
    assert messages[0][0] == "channel" and messages[0][-1] == "delivery_rate"
    assert [r[0] for r in messages[1:]] == ["sms", "email"]
    sms = messages[1]
    assert int(sms[1]) >= 2 and int(sms[2]) >= 3  # in and out

    # A range that leaves the exchange out gives the header and zeros.
    old = rows_of(
        coordinator.get("/panel/figures.csv?table=mrc&start=2020-01-01&end=2020-01-31")
    )
    assert old == [mrc[0]]


def test_csv_refuses_an_unknown_table_kindly(coordinator: FlaskClient) -> None:
    response = coordinator.get("/panel/figures.csv?table=secrets")
    assert response.status_code == 400
    assert "weekly" in response.get_data(as_text=True)
    # No table named: the weekly one.
    assert rows_of(coordinator.get("/panel/figures.csv"))[0][0] == "week_start"


# ---- Dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-45",
        "start=yesterday&end=2026-09-01",
        "end=2026-02-30",
        "start=2026-09-10&end=2026-09-01",
        "start=%00%FF&end=' OR 1=1 --",
        "start=" + "9" * 500,
    ],
)
def test_bad_dates_give_a_message_and_the_default_range(
    coordinator: FlaskClient, query: str
) -> None:
    response = coordinator.get(f"/panel/figures?{query}&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="flash flash--error" role="alert"' in html
    assert "Here are the last 12 weeks." in html
    assert html.count("<tr>") > 12  # the weekly table still has its 12 weeks
    default = coordinator.get("/panel/figures?lang=en").get_data(as_text=True)
    value = re.search(r'name="start" type="date" value="([^"]+)"', default)
    assert value and f'value="{value.group(1)}"' in html
    # The export falls back the same way, silently.
    assert coordinator.get(f"/panel/figures.csv?{query}").status_code == 200


def test_a_chosen_range_is_kept_and_a_long_one_shortened(
    coordinator: FlaskClient,
) -> None:
    html = coordinator.get(
        "/panel/figures?start=2026-06-01&end=2026-06-30&lang=en"
    ).get_data(as_text=True)
    assert 'value="2026-06-01"' in html and 'value="2026-06-30"' in html
    assert "flash--error" not in html
    assert (
        len(
            rows_of(
                coordinator.get("/panel/figures.csv?start=2026-06-01&end=2026-06-30")
            )
        )
        == 1 + 5
    )  # weeks of 1, 8, 15, 22 and 29 June

    long = coordinator.get("/panel/figures?start=1990-01-01&end=2026-06-30&lang=en")
    assert long.status_code == 200
    assert "longer than two years" in long.get_data(as_text=True)


# ---- Charts -------------------------------------------------------------------


def test_charts_are_accessible_svg_with_their_tables(
    coordinator: FlaskClient, twilio: Twilio, work: Any, runtime: Runtime
) -> None:
    sms_exchange(twilio, work, runtime)
    html = coordinator.get("/panel/figures?lang=en").get_data(as_text=True)

    svgs = re.findall(r"<svg class=\"chart\".*?</svg>", html, re.S)
    assert len(svgs) == 4  # weeks, MRCs, crops, messages
    for svg in svgs:
        opening = svg.split(">", 1)[0]
        assert 'role="img"' in opening and 'aria-label="' in opening
        assert 'width="100%"' in opening and 'viewBox="0 0 ' in opening
        assert re.search(r"<title>[^<]+</title>", svg)
        assert "Kilograms" in svg or "Messages" in svg  # the axis says what it counts
    weekly = svgs[0]
    # Values are written on the bars, and series differ by texture too.
    assert f">300{NBSP}kg<" in weekly and f">100{NBSP}kg<" in weekly
    assert "url(#chart-weekly-hatch)" in weekly
    assert "<pattern" in weekly
    # Every chart has its data table beside it, folded.
    assert html.count("<details>") == 5  # and the site's most viewed pages
    assert html.count("<table") >= 5
    # No script or stylesheet from elsewhere.
    assert not re.search(r'<script[^>]+src="https?://', html)
    assert not re.search(r'<link[^>]+href="https?://', html)


def test_site_newsletter_and_survey_figures_reach_the_panel(
    coordinator: FlaskClient, app: Flask, runtime: Runtime
) -> None:
    visitor = app.test_client()
    for path in ("/", "/", "/", "/partenaires", "/en/"):
        assert visitor.get(path).status_code == 200
    visitor.get("/", headers={"User-Agent": "Googlebot/2.1"})  # robots don't count
    when = runtime.now()
    with transaction(runtime.sessions) as session:
        for email in ("ana@example.org", "ben@example.org"):
            subscriber, _ = newsletter.subscribe(
                session, email, "fr", ["news"], "I agree", when
            )
            newsletter.confirm(session, subscriber.token, when)
        newsletter.subscribe(session, "pending@example.org", "fr", [], "ok", when)
        partner_surveys = surveys.create_partner_batch(session, when)
        for survey, given in zip(partner_surveys, (5, 4), strict=False):
            surveys.answer(session, survey, surveys.Answer(given, {}), when)

    html = coordinator.get("/panel/figures?lang=en").get_data(as_text=True)
    assert stat(html, "visits") == "5"
    assert stat(html, "subscribers") == "2"  # the pending one is not counted yet
    assert stat(html, "satisfaction-partner") == "4.5 / 5"
    assert stat(html, "open-rate") == "—"  # no issue sent yet: no made-up rate
    visits_chart = re.search(
        r'<svg class="chart" id="chart-visits".*?</svg>', html, re.S
    )
    assert visits_chart is not None and ">5<" in visits_chart.group(0)
    assert "<code>/</code>" in html  # the most viewed page, first
    kpi = re.search(r'data-figure="kpi-satisfaction">(.*?)</td>', html, re.S)
    assert kpi is not None and "Partners: 4.5 / 5" in kpi.group(1)

    pages = rows_of(coordinator.get("/panel/figures.csv?table=pages"))
    assert pages[:2] == [["path", "views"], ["/", "3"]]  # most viewed first
    assert sorted(pages[2:]) == [["/en/", "1"], ["/partenaires", "1"]]
    weeks = rows_of(coordinator.get("/panel/figures.csv?table=visits"))
    assert weeks[0] == ["week_start", "views"] and len(weeks) == 1 + 12
    assert [int(row[1]) for row in weeks[1:]] == [0] * 11 + [5]


# ---- Layout helpers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("peak", "axis"),
    [
        (0, 1),
        (0.4, 0.5),
        (1, 1),
        (7, 10),
        (120, 200),
        (230, 250),
        (4100, 5000),
        (10_001, 20_000),
    ],
)
def test_axis_ends_on_a_round_number(peak: float, axis: float) -> None:
    assert page.nice_max(peak) == axis


def test_bar_chart_layout(app: Flask) -> None:
    with app.test_request_context("/panel/?lang=en"):
        chart = page.bar_chart(
            "c",
            "Kilos",
            "summary",
            [
                ("A very long crop name indeed", (400, 100, 0)),
                ("quiet week", (0, 0, 0)),
            ],
            page.kg_series(),
            axis_title="Kilograms",
        )
    first, quiet = chart.rows
    assert first.label.endswith("…") and first.full_label.startswith("A very long")
    assert [bar.value for bar in first.bars] == [
        "400\u00a0kg",
        "100\u00a0kg",
        "0\u00a0kg",
    ]
    longest = first.bars[0]
    plot = chart.plot_right - chart.plot_left
    assert longest.x == chart.plot_left
    assert longest.width == pytest.approx(plot * 400 / 500, abs=0.1)
    assert first.bars[1].width == pytest.approx(longest.width / 4, abs=0.1)
    assert first.bars[2].width == 0
    assert quiet.empty and not quiet.bars and quiet.height < first.height
    assert [t.text for t in chart.ticks] == ["0", "100", "200", "300", "400", "500"]
    assert chart.ticks[-1].x == chart.plot_right
    assert chart.label == "Kilos. summary"
    assert chart.height > chart.plot_bottom > chart.plot_top


def test_durations_read_at_a_glance(app: Flask) -> None:
    from datetime import timedelta

    with app.test_request_context("/panel/?lang=en"):
        assert page.duration(None) == "—"
        assert page.duration(timedelta(seconds=40)) == "1 min"
        assert page.duration(timedelta(minutes=42)) == "42 min"
        assert page.duration(timedelta(hours=2, minutes=5)) == "2 h 05"
        assert page.duration(timedelta(days=3, hours=4, minutes=10)) == "3 d 4 h"
