"""Fixtures shared with the approvals tests: another API client of the same tenant."""

from tests.approvals.conftest import colleague  # noqa: F401 - the fixture, for the approval events
