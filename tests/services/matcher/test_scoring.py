import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher.scoring import (
    DEFAULT_WEIGHTS,
    EXCLUSION_ORDER,
    Candidate,
    Excluded,
    Ranked,
    Reason,
    SurplusInfo,
    Weights,
    exclusion,
    rank,
)
from shared.gsm import is_gsm7

NOW = datetime(2026, 9, 15, 14, 0, tzinfo=UTC)


def a_surplus(**changes: Any) -> SurplusInfo:
    """500 kg of squash on a parcel near Joliette, farmer accepts 30 km."""
    surplus = SurplusInfo(
        lat=46.0239,
        lon=-73.4428,
        farm_radius_km=30.0,
        category="legume",
        perishable=False,
        quantity_kg=500.0,
    )
    return dataclasses.replace(surplus, **changes)


def an_org(organization_id: int = 1, **changes: Any) -> Candidate:
    """An organization 10 km away that could take it all, served a week ago."""
    candidate = Candidate(
        organization_id=organization_id,
        name=f"Organisme {organization_id}",
        distance_km=10.0,
        service_radius_km=25.0,
        weekly_capacity_kg=1000.0,
        received_this_week_kg=0.0,
        cold_storage=True,
        categories=frozenset(),
        priority=False,
        last_served_at=NOW - timedelta(days=7),
        active=True,
        opted_out=False,
    )
    return dataclasses.replace(candidate, **changes)


def ranked_ids(ranked: list[Ranked]) -> list[int]:
    return [r.organization_id for r in ranked]


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


# --- who is left out, and why


@pytest.mark.parametrize(
    ("surplus_changes", "org_changes", "code"),
    [
        ({}, {"active": False}, "inactive"),
        ({}, {"opted_out": True}, "opted_out"),
        ({}, {"categories": frozenset({"fruit"})}, "category"),
        ({"farm_radius_km": 8.0}, {}, "too_far_for_farm"),
        ({}, {"service_radius_km": 9.5}, "too_far_for_org"),
        ({}, {"received_this_week_kg": 1000.0}, "no_capacity"),
        ({}, {"received_this_week_kg": 1200.0}, "no_capacity"),
        ({"perishable": True}, {"cold_storage": False}, "no_cold_storage"),
    ],
)
def test_each_filter_leaves_the_organization_out_with_its_reason(
    surplus_changes: dict[str, Any], org_changes: dict[str, Any], code: str
) -> None:
    ranked, excluded = rank(a_surplus(**surplus_changes), [an_org(**org_changes)], NOW)

    assert ranked == []
    assert [e.reason.code for e in excluded] == [code]
    assert excluded[0].distance_km == 10.0


def test_an_organization_failing_everything_keeps_the_first_reason_in_order() -> None:
    surplus = a_surplus(perishable=True, farm_radius_km=5.0)
    fixes: list[dict[str, Any]] = [
        {"active": True},
        {"opted_out": False},
        {"categories": frozenset({"legume"})},
        {"distance_km": 4.0},
        {"service_radius_km": 25.0},
        {"received_this_week_kg": 0.0},
    ]
    org = an_org(
        active=False,
        opted_out=True,
        categories=frozenset({"fruit"}),
        distance_km=6.0,
        service_radius_km=3.0,
        received_this_week_kg=1000.0,
        cold_storage=False,
    )

    seen = []
    for fix in fixes:
        reason = exclusion(surplus, org)
        assert reason is not None
        seen.append(reason.code)
        org = dataclasses.replace(org, **fix)

    assert seen == list(EXCLUSION_ORDER[:-1])
    assert exclusion(surplus, org) == Reason("no_cold_storage")


def test_an_organization_that_accepts_every_category_or_this_one_is_kept() -> None:
    orgs = [an_org(1), an_org(2, categories=frozenset({"fruit", "legume"}))]

    ranked, excluded = rank(a_surplus(), orgs, NOW)

    assert ranked_ids(ranked) == [1, 2]
    assert excluded == []


def test_an_organization_right_on_both_radii_is_kept() -> None:
    org = an_org(distance_km=25.0, service_radius_km=25.0)

    ranked, _ = rank(a_surplus(farm_radius_km=25.0), [org], NOW)

    assert ranked_ids(ranked) == [1]


def test_without_a_perishable_crop_cold_storage_is_not_needed_nor_told() -> None:
    ranked, _ = rank(a_surplus(), [an_org(cold_storage=False)], NOW)

    assert "cold_storage" not in codes(ranked[0].reasons)


def test_cold_storage_is_told_for_a_perishable_crop() -> None:
    ranked, _ = rank(a_surplus(perishable=True), [an_org()], NOW)

    assert codes(ranked[0].reasons)[-1] == "cold_storage"


def test_excluded_organizations_come_nearest_first() -> None:
    orgs = [
        an_org(3, active=False, distance_km=12.0),
        an_org(2, opted_out=True, distance_km=4.0),
        an_org(1, active=False, distance_km=12.0),
    ]

    _, excluded = rank(a_surplus(), orgs, NOW)

    assert [e.organization_id for e in excluded] == [2, 1, 3]


# --- how the others are ranked


def test_a_closer_organization_outranks_a_farther_one() -> None:
    orgs = [an_org(1, distance_km=18.0), an_org(2, distance_km=3.0)]

    ranked, _ = rank(a_surplus(), orgs, NOW)

    assert ranked_ids(ranked) == [2, 1]
    assert [r.rank for r in ranked] == [1, 2]
    assert ranked[0].score > ranked[1].score


def test_distance_counts_against_the_nearer_radius() -> None:
    # Reach 25 km (the organization's radius, nearer than the farm's 30 km):
    # halfway there scores half the distance weight.
    ranked, _ = rank(a_surplus(), [an_org(distance_km=12.5)], NOW)
    lone = Weights(distance=1.0, capacity=0.0, fairness=0.0, priority=0.0)

    lone_ranked, _ = rank(a_surplus(), [an_org(distance_km=12.5)], NOW, lone)

    assert lone_ranked[0].score == 0.5
    assert ranked[0].score < 1.0


def test_priority_outweighs_up_to_37_percent_of_the_reach() -> None:
    # Reach 25 km: 37.5 % is 9.4 km.
    near = an_org(1, distance_km=1.0)
    priority_9_km_farther = an_org(2, distance_km=10.0, priority=True)
    priority_10_km_farther = an_org(3, distance_km=11.0, priority=True)

    first, _ = rank(a_surplus(), [near, priority_9_km_farther], NOW)
    second, _ = rank(a_surplus(), [near, priority_10_km_farther], NOW)

    assert ranked_ids(first) == [2, 1]
    assert ranked_ids(second) == [1, 3]
    assert "priority" in codes(first[0].reasons)


def test_the_longest_unserved_comes_first_all_else_equal() -> None:
    orgs = [
        an_org(1, last_served_at=NOW - timedelta(hours=2)),
        an_org(2, last_served_at=NOW - timedelta(days=5)),
        an_org(3, last_served_at=None),
    ]

    ranked, _ = rank(a_surplus(), orgs, NOW)

    assert ranked_ids(ranked) == [3, 2, 1]


def test_fairness_stops_growing_at_the_horizon() -> None:
    orgs = [
        an_org(1, last_served_at=None),
        an_org(2, last_served_at=NOW - timedelta(days=14)),
        an_org(3, last_served_at=NOW - timedelta(days=90)),
    ]

    ranked, _ = rank(a_surplus(), orgs, NOW)

    assert len({r.score for r in ranked}) == 1
    assert ranked_ids(ranked) == [1, 2, 3]


def test_two_unserved_weeks_outweigh_priority() -> None:
    # So priority organizations cannot take every surplus in turn.
    served_today = an_org(1, priority=True, last_served_at=NOW)
    waiting = an_org(2, last_served_at=NOW - timedelta(days=14))

    ranked, _ = rank(a_surplus(), [served_today, waiting], NOW)

    assert ranked_ids(ranked) == [2, 1]


def test_a_service_in_the_future_counts_as_just_served() -> None:
    orgs = [an_org(1, last_served_at=NOW + timedelta(hours=1)), an_org(2)]

    ranked, _ = rank(a_surplus(), orgs, NOW)

    assert ranked_ids(ranked) == [2, 1]
    assert "fairness" not in codes(ranked[1].reasons)


def test_the_capacity_left_counts() -> None:
    orgs = [
        an_org(1, received_this_week_kg=750.0),  # can take 250 of the 500 kg
        an_org(2, received_this_week_kg=400.0),  # can take it all
        an_org(3, received_this_week_kg=500.0),  # can take it all, exactly
    ]

    ranked, _ = rank(a_surplus(), orgs, NOW)

    assert ranked_ids(ranked) == [2, 3, 1]
    assert ranked[0].score == ranked[1].score


def test_room_beyond_the_surplus_earns_nothing_more() -> None:
    orgs = [
        an_org(1, received_this_week_kg=100.0),  # 900 kg left
        an_org(2, received_this_week_kg=880.0),  # 120 kg left
    ]

    ranked, _ = rank(a_surplus(quantity_kg=120.0), orgs, NOW)

    assert ranked_ids(ranked) == [1, 2]
    assert ranked[0].score == ranked[1].score


def test_without_a_known_quantity_the_share_of_the_week_left_counts() -> None:
    orgs = [
        an_org(1, received_this_week_kg=900.0),  # 10 % of its week left
        an_org(2, weekly_capacity_kg=200.0),  # all of a smaller week left
    ]

    for unknown in (None, 0.0):
        ranked, _ = rank(a_surplus(quantity_kg=unknown), orgs, NOW)
        assert ranked_ids(ranked) == [2, 1]


def test_a_perfect_match_scores_one() -> None:
    org = an_org(distance_km=0.0, priority=True, last_served_at=None)

    ranked, _ = rank(a_surplus(), [org], NOW)

    assert ranked[0].score == 1.0


def test_only_the_ratios_of_the_weights_matter() -> None:
    orgs = [an_org(1, distance_km=3.0), an_org(2, priority=True, distance_km=9.0)]
    doubled = Weights(distance=0.8, capacity=0.5, fairness=0.4, priority=0.3)

    assert rank(a_surplus(), orgs, NOW, doubled) == rank(a_surplus(), orgs, NOW)


def test_equal_scores_go_to_the_nearer_then_the_lower_id() -> None:
    # 0.05 km apart scores the same once rounded to 3 decimals.
    orgs = [
        an_org(4, distance_km=10.0),
        an_org(3, distance_km=10.0),
        an_org(9, distance_km=9.99),
    ]

    ranked, _ = rank(a_surplus(), orgs, NOW)

    assert len({r.score for r in ranked}) == 1
    assert ranked_ids(ranked) == [9, 3, 4]


def test_output_is_rounded() -> None:
    ranked, excluded = rank(
        a_surplus(),
        [an_org(1, distance_km=7.26), an_org(2, distance_km=7.04, active=False)],
        NOW,
    )

    assert ranked[0].distance_km == 7.3
    assert ranked[0].score == round(ranked[0].score, 3)
    assert excluded[0].distance_km == 7.0
    assert ranked[0].reasons[0] == Reason("distance", {"km": 7.3})


def test_reasons_come_strongest_first_and_skip_what_adds_nothing() -> None:
    org = an_org(distance_km=20.0, last_served_at=None)

    ranked, _ = rank(a_surplus(), [org], NOW)

    assert codes(ranked[0].reasons) == ["capacity", "fairness", "distance"]


def test_candidates_twice_are_refused() -> None:
    with pytest.raises(ValueError, match="organization 1"):
        rank(a_surplus(), [an_org(1), an_org(1)], NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"distance": -0.1},
        {"distance": 0.0, "capacity": 0.0, "fairness": 0.0, "priority": 0.0},
        {"fairness_horizon_days": 0.0},
        {"priority": float("nan")},
    ],
)
def test_weights_are_checked(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(DEFAULT_WEIGHTS, **changes)


def test_nonsense_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        a_surplus(quantity_kg=-1.0)
    with pytest.raises(ValueError):
        an_org(received_this_week_kg=-5.0)
    with pytest.raises(ValueError):
        Reason("nearby")


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    count = draw(st.integers(0, 12))
    return [
        an_org(
            organization_id,
            distance_km=draw(st.sampled_from([0.0, 2.5, 10.0, 24.9, 31.0])),
            service_radius_km=draw(st.sampled_from([0.0, 10.0, 40.0])),
            received_this_week_kg=draw(st.sampled_from([0.0, 600.0, 1000.0])),
            cold_storage=draw(st.booleans()),
            priority=draw(st.booleans()),
            active=draw(st.booleans()),
            last_served_at=draw(st.sampled_from([None, NOW - timedelta(days=3)])),
        )
        for organization_id in range(count)
    ]


@settings(derandomize=True, database=None, deadline=None)
@given(
    orgs=candidates(),
    perishable=st.booleans(),
    quantity_kg=st.sampled_from([None, 100.0, 5000.0]),
    order=st.randoms(use_true_random=False),
)
def test_every_candidate_is_decided_once_whatever_the_input_order(
    orgs: list[Candidate],
    perishable: bool,
    quantity_kg: float | None,
    order: random.Random,
) -> None:
    surplus = a_surplus(perishable=perishable, quantity_kg=quantity_kg)
    ranked, excluded = rank(surplus, orgs, NOW)
    shuffled = list(orgs)
    order.shuffle(shuffled)

    assert rank(surplus, shuffled, NOW) == (ranked, excluded)
    decided = ranked_ids(ranked) + [e.organization_id for e in excluded]
    assert sorted(decided) == [o.organization_id for o in orgs]
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(0.0 <= r.score <= 1.0 for r in ranked)
    keys = [(-r.score, r.distance_km, r.organization_id) for r in ranked]
    assert keys == sorted(keys)
    assert all(2 <= len(r.reasons) <= 5 for r in ranked)
    assert all(isinstance(e, Excluded) for e in excluded)


# --- reasons in words


@pytest.mark.parametrize(
    ("reason", "french", "english"),
    [
        (Reason("distance", {"km": 4.2}), "à 4,2 km", "4.2 km away"),
        (Reason("distance", {"km": 12.0}), "à 12 km", "12 km away"),
        (
            Reason("capacity", {"kg": 320}),
            "peut encore recevoir 320 kg cette semaine",
            "can still take 320 kg this week",
        ),
        (
            Reason("capacity", {"kg": 1250.5}),
            "peut encore recevoir 1 250,5 kg cette semaine",
            "can still take 1,250.5 kg this week",
        ),
        (
            Reason("fairness", {"days": 12}),
            "pas servi depuis 12 jours",
            "not served for 12 days",
        ),
        (
            Reason("fairness", {"days": 1}),
            "pas servi depuis 1 jour",
            "not served for 1 day",
        ),
        (
            Reason("fairness", {"days": 0}),
            "servi il y a moins d'un jour",
            "served less than a day ago",
        ),
        (Reason("fairness"), "jamais servi", "never served yet"),
        (Reason("priority"), "sert les plus vulnérables", "serves the most vulnerable"),
        (
            Reason("cold_storage"),
            "chambre froide pour un produit périssable",
            "cold storage for a perishable product",
        ),
        (
            Reason("category", {"category": "fruit"}),
            "n'accepte pas les fruits",
            "does not take fruit",
        ),
        (
            Reason("category", {"category": "miel"}),
            "n'accepte pas la catégorie miel",
            "does not take the miel category",
        ),
        (
            Reason("too_far_for_org", {"radius_km": 25.0}),
            "hors du rayon de l'organisme (25 km)",
            "outside the organization's radius (25 km)",
        ),
        (
            Reason("too_far_for_farm", {"radius_km": 12.5}),
            "hors du rayon de la ferme (12,5 km)",
            "outside the farm's radius (12.5 km)",
        ),
        (
            Reason("no_capacity"),
            "capacité de la semaine atteinte",
            "weekly capacity reached",
        ),
        (
            Reason("no_cold_storage"),
            "pas de chambre froide pour un produit périssable",
            "no cold storage for a perishable product",
        ),
        (
            Reason("opted_out"),
            "tous les contacts se sont désabonnés",
            "every contact has opted out of messages",
        ),
        (Reason("inactive"), "inactif", "inactive"),
    ],
)
def test_reasons_read_in_quebec_french_and_english(
    reason: Reason, french: str, english: str
) -> None:
    assert reason.text() == french
    assert reason.text("fr") == french
    assert reason.text("en") == english
    assert reason.text("en_CA") == english
    # Quoted in an SMS, a reason must not push it out of the GSM-7 alphabet.
    assert is_gsm7(french)
    assert is_gsm7(english)


def test_a_ranked_organization_reads_as_a_sentence() -> None:
    org = an_org(distance_km=4.23, received_this_week_kg=680.0, priority=True)

    ranked, _ = rank(a_surplus(quantity_kg=None), [org], NOW)

    assert [r.text() for r in ranked[0].reasons] == [
        "à 4,2 km",
        "sert les plus vulnérables",
        "pas servi depuis 7 jours",
        "peut encore recevoir 320 kg cette semaine",
    ]


def test_reasons_are_values() -> None:
    params = {"km": 4.2}
    reason = Reason("distance", params)
    params["km"] = 9.9

    assert reason == Reason("distance", {"km": 4.2})
    assert hash(reason) == hash(Reason("distance", {"km": 4.2}))
