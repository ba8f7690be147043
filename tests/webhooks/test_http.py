"""The webhook API's answers to bad requests: Store-shaped 400s and 404s, never a 500 (both backends)."""

from __future__ import annotations

import pytest

from tests.support import Tenant


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({"url": "https://example.com/x", "colour": "red"}, "colour"),
        ({"url": "https://example.com/x", "enabled": "yes"}, "enabled"),
        ({"url": "https://example.com/x", "eventTypes": "rollout.halted"}, "eventTypes"),
        ({"url": "https://example.com/x", "eventTypes": ["webhook.ping"]}, "Unknown event types"),
        ({"url": "gopher://example.com/x"}, "http or https"),
        ({"url": "https://a:b@example.com/x"}, "user name or password"),
        ({"url": "https://example.com/" + "a" * 2100}, "url"),
        ({}, "url"),
    ],
)
def test_bad_bodies_get_store_shaped_400s(tenant: Tenant, body: object, words: str) -> None:
    answer = tenant.http.post("webhooks", json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["code"] == "InvalidParameterValue" and words in error["message"]


def test_unknown_webhooks_and_apps_are_404(tenant: Tenant) -> None:
    for call in (
        tenant.http.get("webhooks/123"),
        tenant.http.patch("webhooks/123", json={"enabled": False}),
        tenant.http.delete("webhooks/123"),
        tenant.http.post("webhooks/123/test"),
        tenant.http.get("webhooks/123/deliveries"),
        tenant.http.post("webhooks", json={"url": "https://example.com/x", "applicationId": "9NOSUCHAPP00"}),
    ):
        assert call.status_code == 404, call.text
        assert call.json()["code"] == "ResourceNotFound"


def test_the_secret_is_shown_once_and_the_rest_as_created(tenant: Tenant, app_id: str) -> None:
    spec = {"url": "https://example.com/x", "eventTypes": ["rollout.halted"], "applicationId": app_id.lower()}
    created = tenant.http.post("webhooks", json=spec).json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    shown = tenant.http.get(f"webhooks/{created['id']}").json()
    assert shown == {k: v for k, v in created.items() if k != "secret"}
    assert shown["applicationId"] == app_id and shown["enabled"] is True
    assert tenant.http.patch(f"webhooks/{created['id']}", json={"enabled": 0}).status_code == 400
    assert tenant.http.patch(f"webhooks/{created['id']}", json={"enabled": False}).json()["enabled"] is False
    history = tenant.http.get("history", params={"resourceType": "webhook", "resourceId": created["id"]}).json()
    assert [r["action"] for r in history["value"]] == ["webhook.update", "webhook.create"]
    assert created["secret"] not in str(history)
