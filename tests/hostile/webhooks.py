"""Acting as Twilio: webhook forms with any field wrong, signed; a good answer."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from shared import seed
from tests.conftest import BASE_URL, TWILIO_TOKEN
from tests.hostile.strategies import senders, sms_texts, without_surrogates

FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
VALIDATOR = RequestValidator(TWILIO_TOKEN)
TWILIO_FIELDS = (
    "AccountSid", "MessagingServiceSid", "NumMedia", "NumSegments", "MediaUrl0",
    "MediaContentType0", "FromCity", "FromState", "FromCountry", "ToCountry",
    "SmsStatus", "SmsSid", "SmsMessageSid", "ApiVersion", "ErrorCode", "OptOutType",
)  # fmt: skip
# The seeded network's farmers and organizations, and a few strangers.
KNOWN = [seed.phone(n) for n in range(60)]

texts = sms_texts().map(without_surrogates)
values = st.one_of(
    texts, st.text(max_size=30).map(without_surrogates), st.sampled_from(["", "0", "1"])
)
sids = st.one_of(
    st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True),
    st.sampled_from(["SMrepeat1", "SMrepeat2", "", " ", "SM" + "9" * 200]),
    st.text(max_size=70).map(without_surrogates),
)
extras = st.dictionaries(
    st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(min_size=1, max_size=12)).map(
        without_surrogates
    ),
    values,
    max_size=4,
)


@st.composite
def inbound_forms(draw: st.DrawFn) -> dict[str, str]:
    """The fields of an inbound SMS webhook, any of them missing or wrong."""
    form = {key: draw(values) for key in draw(extras)}
    if draw(st.integers(0, 9)):
        known = st.sampled_from(KNOWN)
        form["From"] = without_surrogates(draw(st.one_of(known, known, senders())))
    if draw(st.integers(0, 9)):
        form["Body"] = draw(
            st.one_of(texts, st.just("x" * 1_601), st.just("OUI\x00A1"))
        )
    if draw(st.integers(0, 9)):
        form["MessageSid"] = draw(sids)
    if draw(st.booleans()):
        form["To"] = draw(st.sampled_from(["+14505550199", "", "12345", "x" * 300]))
    return form


def signed(client: FlaskClient, path: str, form: dict[str, str]) -> TestResponse:
    """POST ``form`` with the signature Twilio would compute for it."""
    signature = VALIDATOR.compute_signature(f"{BASE_URL}{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _note(what: str) -> None:
    """Hypothesis's statistics of what the examples hit, when under @given."""
    if currently_in_test_context():
        event(what)


def assert_twiml_or_refusal(response: TestResponse) -> None:
    """TwiML that parses as XML, or a 4xx that says why; never a 500."""
    _note(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.mimetype == "text/xml"
        root = ElementTree.fromstring(response.get_data())
        assert root.tag == "Response"
        assert all(child.tag == "Message" for child in root)
        _note("answered" if len(root) else "kept, not answered")
    else:
        assert 400 <= response.status_code < 500
        assert response.get_data(as_text=True).strip(), "a refusal says why"
