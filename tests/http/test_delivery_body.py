"""The delivery answer encoded from remembered fragments is byte for byte what StoreJSONResponse gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from storeflight.delivery import Decision, Explanation, PackageView
from storeflight.http.delivery_body import answer_bytes
from storeflight.http.responses import StoreJSONResponse

PACKAGES = (
    (),
    (PackageView("p1", "a_1.msix", "1.0.0.0", "x64", (("Windows.Desktop", "10.0.0.0"),), 5, "ab"),),
    (
        PackageView("p2", 'ä "q" \\.msix', "2.0.0.0", "x86", (), 7, "cd"),
        PackageView("p3", "r.msix", "2.0.0.0", "neutral", (), 1, "ef"),
    ),
)
text = st.text(max_size=20)
decisions = st.builds(
    Decision,
    st.none() | text,
    st.sampled_from(("flight", "non-flighted", "none")),
    st.none() | text,
    st.sampled_from(PACKAGES),
    st.booleans(),
    st.none() | st.just(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
    text,
    st.just(Explanation((), None, None, None, None, ())),
)


def _body(app_id: str, customer: str, decision: Decision, url: str) -> dict[str, Any]:
    mandatory = decision.mandatory_date.isoformat() if decision.mandatory_date else None
    return {
        "applicationId": app_id,
        "customerId": customer,
        "submissionId": decision.submission_id,
        "source": decision.source,
        "flightId": decision.flight_id,
        "reason": decision.reason,
        "packages": [{"id": p.id, "fileName": p.file_name, "url": f"{url}/{p.id}"} for p in decision.packages],
        "isMandatoryUpdate": decision.is_mandatory,
        "mandatoryUpdateEffectiveDate": mandatory,
    }


@given(text, text, decisions, st.sampled_from(("http://a", "http://b")))
def test_fragments_give_the_bytes_of_the_whole_rendering(
    app_id: str, customer: str, decision: Decision, url: str
) -> None:
    expected = StoreJSONResponse(_body(app_id, customer, decision, url)).body
    for _ in range(2):  # built, then remembered
        found = answer_bytes(app_id, customer, decision, ("hour", url), lambda d: _body(app_id, customer, d, url))
        if found is None:  # text only StoreJSONResponse's U+FFFD replacement can send
            assert "\ufffd" in expected.decode()
        else:
            assert found == expected


def test_a_lone_surrogate_leaves_the_answer_to_the_whole_rendering() -> None:
    decision = Decision("s", "flight", "f", PACKAGES[1], False, None, "r", Explanation((), None, None, None, None, ()))
    assert answer_bytes("app", "bad\ud800", decision, "k", lambda d: _body("app", "bad\ud800", d, "u")) is None
