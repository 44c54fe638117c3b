"""The words of every message Glanage sends, in the reader's language.

SMS are written to fit one GSM-7 segment when they can: the essentials
(code, crop, kg, place, date, how to answer, link), nothing else. Emails carry
the same facts with room for the address and the farmer's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from shared import crops, gsm
from shared.i18n import format_kg, t
from shared.models import Claim, Surplus


@dataclass(frozen=True)
class Text:
    sms: str
    subject: str
    email: str


# Builds a message's text for one language, so each contact gets their own.
TextFactory = Callable[[str], Text]
SurplusText = Callable[[Surplus, str], Text]


def short_date(value: date, lang: str, weekday: bool = True) -> str:
    """ "ven. 18 sept." / "Fri Sep 18": short enough for an SMS."""
    if lang == "fr":
        pattern = "EEE d MMM" if weekday else "d MMM"
        return format_date(value, pattern, locale="fr_CA").removesuffix(".")
    return format_date(value, "EEE MMM d" if weekday else "MMM d", locale="en_CA")


def crop_name(name: str, lang: str) -> str:
    """The crop as the reader calls it; the French name is the canonical one."""
    crop = crops.get_crop(name)
    return crop.name_en.lower() if crop and lang == "en" else name


def place(surplus: Surplus) -> str:
    return surplus.farm.municipality


def kind_words(surplus: Surplus, lang: str) -> str:
    if surplus.kind == "pickup":
        return t(lang, "pickup at the farm")
    return t(lang, "gleaning in the field")


def offer(surplus: Surplus, lang: str, link: str) -> Text:
    facts = {
        "code": surplus.code,
        "crop": crop_name(surplus.crop, lang),
        "kg": format_kg(surplus.remaining_kg, lang),
        "town": place(surplus),
        "until": short_date(surplus.available_until, lang, weekday=False),
        "link": link,
    }
    # Every character counts here: with the link, this must stay one SMS.
    sms = t(
        lang,
        "{code}: {crop} {kg}, {town}, until {until}. "
        "YES {code} [kg] or NO {code} {link}",
        **facts,
    )
    email = t(
        lang,
        "Hello,\n\n{farm} has {kg} of {crop} for you in {town} ({kind}), "
        "until {until}.\n\nTo take all or part of it, open {link}\n"
        "or reply to our text: YES {code} 100 for 100 kg, YES {code} for all, "
        "NO {code} if you can't.\n\nFirst come, first served.\n\n— Glanage",
        farm=surplus.farm.name,
        kind=kind_words(surplus, lang),
        **facts,
    )
    subject = t(lang, "{code}: {kg} of {crop} in {town}", **facts)
    return Text(gsm.fit_sms(sms), subject, email)


def claim_confirmed_to_organization(claim: Claim, lang: str) -> Text:
    surplus = claim.surplus
    farm = surplus.farm
    rules = surplus.parcel.rules if surplus.parcel and surplus.parcel.rules else ""
    facts = {
        "code": surplus.code,
        "crop": surplus.crop,
        "kg": format_kg(claim.quantity_kg, lang),
        "farm": farm.name,
        "address": farm.address or farm.municipality,
        "parcel": surplus.parcel.code if surplus.parcel else "",
        "until": short_date(surplus.available_until, lang),
        "rules": rules or t(lang, "none given"),
        "phone": farm.phone or "",
    }
    sms = t(
        lang,
        "Confirmed {code}: {kg} of {crop} for you. {farm}, {address} {parcel}, "
        "until {until}. Rules: {rules}",
        **facts,
    )
    email = t(
        lang,
        "Confirmed: {kg} of {crop} ({code}) are yours.\n\n"
        "Where: {farm}, {address}, parcel {parcel}\nUntil: {until}\n"
        "Farmer's phone: {phone}\nThe farmer's rules: {rules}\n\n"
        "Thank you for feeding your community.\n\n— Glanage",
        **facts,
    )
    subject = t(lang, "Confirmed: {kg} of {crop} ({code})", **facts)
    return Text(gsm.fit_sms(sms.strip()), subject, email)


def claim_confirmed_to_farmer(claim: Claim, lang: str) -> Text:
    surplus = claim.surplus
    org = claim.organization
    facts = {
        "code": surplus.code,
        "org": org.name,
        "kg": format_kg(claim.quantity_kg, lang),
        "left": format_kg(surplus.remaining_kg, lang),
        "crop": surplus.crop,
        "phone": org.phone or org.email or "",
        "when": short_date(
            claim.pickup_at.date() if claim.pickup_at else surplus.available_until,
            lang,
        ),
    }
    sms = t(
        lang,
        "{code}: {org} takes {kg} of {crop}, comes by {when}. {phone}. Left: {left}.",
        **facts,
    )
    subject = t(lang, "{code}: {org} takes {kg}", **facts)
    return Text(gsm.fit_sms(sms), subject, sms)


def already_taken(surplus: Surplus, lang: str) -> Text:
    facts = {"code": surplus.code, "crop": surplus.crop}
    sms = t(
        lang,
        "{code} ({crop}) has all been claimed. Thanks! The next offer will come "
        "by text.",
        **facts,
    )
    subject = t(lang, "{code}: all claimed", **facts)
    return Text(gsm.fit_sms(sms), subject, sms)


def cancelled(surplus: Surplus, lang: str) -> Text:
    facts = {"code": surplus.code, "crop": surplus.crop}
    if surplus.status == "closed":
        sms = t(
            lang,
            "{code} ({crop}) was closed by our coordinator. Nothing to do.",
            **facts,
        )
    else:
        sms = t(
            lang, "{code} ({crop}) was withdrawn by the farmer. Nothing to do.", **facts
        )
    subject = t(lang, "{code}: withdrawn", **facts)
    return Text(gsm.fit_sms(sms), subject, sms)


def unmatched(surplus: Surplus, lang: str) -> Text:
    facts = {"code": surplus.code, "crop": surplus.crop}
    sms = t(
        lang,
        "{code}: no organization nearby can take your {crop} right now. "
        "Our coordinator will call you.",
        **facts,
    )
    return Text(gsm.fit_sms(sms), t(lang, "{code}: no match yet", **facts), sms)


def expired(surplus: Surplus, lang: str) -> Text:
    facts = {
        "code": surplus.code,
        "crop": surplus.crop,
        "left": format_kg(surplus.remaining_kg, lang),
        "claimed": format_kg(surplus.quantity_kg - surplus.remaining_kg, lang),
    }
    sms = t(
        lang,
        "{code} ({crop}) has ended: {claimed} claimed, {left} not. Thank you!",
        **facts,
    )
    return Text(gsm.fit_sms(sms), t(lang, "{code}: ended", **facts), sms)


def email_footer(lang: str, site: str, optout_link: str) -> str:
    """Who writes and how to stop: at the end of every email to a contact."""
    return t(
        lang,
        "-- \nGlanage, by Nourrir Lanaudière ({site}). You get these emails as "
        "a contact of a farm or an organization of the network. To get no "
        "more messages from Glanage: {link}",
        site=site,
        link=optout_link,
    )


# ---- Newsletter and surveys -------------------------------------------------


def newsletter_confirmation(
    lang: str, confirm_link: str, unsubscribe_link: str
) -> Text:
    """The double opt-in email: nothing is sent until the link is opened."""
    subject = t(lang, "Confirm your subscription to the Glanage newsletter")
    email = t(
        lang,
        "Hello,\n\nSomeone, probably you, asked to receive the newsletter of "
        "Nourrir Lanaudière (Glanage) at this address.\n\n"
        "To confirm, open this link:\n{confirm}\n\n"
        "If it wasn't you, do nothing: you will get no newsletter. "
        "To forget this request for good: {unsubscribe}\n\n— Glanage",
        confirm=confirm_link,
        unsubscribe=unsubscribe_link,
    )
    return Text("", subject, email)


def newsletter_already_subscribed(lang: str, unsubscribe_link: str) -> Text:
    """Sent instead of a confirmation when the address already gets the
    newsletter: the form says the same thing either way, the inbox tells."""
    subject = t(lang, "You already get the Glanage newsletter")
    email = t(
        lang,
        "Hello,\n\nSomeone asked to subscribe this address to the newsletter of "
        "Nourrir Lanaudière (Glanage). It already gets it: nothing changes.\n\n"
        "To change your topics, unsubscribe and subscribe again: "
        "{unsubscribe}\n\n— Glanage",
        unsubscribe=unsubscribe_link,
    )
    return Text("", subject, email)


def newsletter_issue_text(
    lang: str, body_markdown: str, why: str, unsubscribe_link: str
) -> str:
    """An issue's plain-text part: its Markdown, then the way out."""
    footer = t(lang, "Unsubscribe: {link}", link=unsubscribe_link)
    return f"{body_markdown.strip()}\n\n-- \n{why}\n{footer}\n"


def survey_invitation(
    kind: str, lang: str, link: str, code: str = "", crop: str = ""
) -> Text:
    """A one-minute satisfaction survey: after a pickup, or for partners.

    The SMS stays one GSM-7 segment with the link."""
    if kind == "partner":
        sms = t(
            lang,
            "Glanage: how is it working for you? 3 questions, 1 minute: {link}",
            link=link,
        )
        subject = t(lang, "Glanage: 1 minute to tell us how it works for you")
        email = t(
            lang,
            "Hello,\n\nYou are one of the partners who make Glanage work. "
            "How is it going for your organization? Three questions, one minute:\n"
            "{link}\n\nYour answers help the network do better.\n\n— Glanage",
            link=link,
        )
        return Text(gsm.fit_sms(sms), subject, email)
    facts = {"code": code, "crop": crop_name(crop, lang) if crop else "", "link": link}
    sms = t(
        lang,
        "Glanage: how did the pickup of {crop} ({code}) go? 1 minute: {link}",
        **facts,
    )
    subject = t(lang, "{code}: how did the pickup go?", **facts)
    email = t(
        lang,
        "Hello,\n\nThe pickup of {crop} ({code}) is done. Thank you!\n\n"
        "How did it go? Three questions, one minute:\n{link}\n\n"
        "Your answers help the network do better.\n\n— Glanage",
        **facts,
    )
    return Text(gsm.fit_sms(sms), subject, email)
