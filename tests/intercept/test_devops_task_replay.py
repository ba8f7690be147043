"""The recorded Azure DevOps task sequences (tests/clients/test_devops_task.py) through the proxy: its token
from https://login.microsoftonline.com/<tenant>/oauth2/token (v1), its service URL
https://manage.devcenter.microsoft.com, and nothing configured but HTTPS_PROXY and the CA."""

from __future__ import annotations

import pytest

from tests.clients import test_devops_task as recorded
from tests.intercept.conftest import Intercepted, intercepted_tenant
from tests.intercept.replay import adopt
from tests.support import Tenant

ADOPTED = adopt(recorded, globals())


@pytest.fixture
def tenant(proxy_env: Intercepted) -> Tenant:
    return intercepted_tenant(proxy_env)


def test_the_replayed_tests_are_the_recorded_ones() -> None:
    assert "crowded_tenant" in ADOPTED
    assert len([n for n in ADOPTED if n.startswith("test_")]) >= 2
