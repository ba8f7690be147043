"""Re-run a module of recorded client sequences (tests/clients) in interception mode.

`adopt(module, namespace)` copies the module's tests and fixtures into the calling test module, whose own
`tenant` fixture then stands in: the same requests, now sent to the real host names through the proxy.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from _pytest.fixtures import FixtureFunctionDefinition


def adopt(module: ModuleType, namespace: dict[str, Any], own: Sequence[str] = ("tenant",)) -> list[str]:
    """Copy the module's fixtures and the tests that use `own` (the fixtures the caller overrides) or one of
    those fixtures; tests that need neither would only run again unchanged."""
    items = vars(module).items()
    fixtures = [name for name, value in items if isinstance(value, FixtureFunctionDefinition) and name not in own]
    wanted = {*own, *fixtures}
    tests = [
        name
        for name, value in items
        if name.startswith("test_") and callable(value) and wanted & set(inspect.signature(value).parameters)
    ]
    assert tests, f"no tests to adopt in {module.__name__}"
    namespace.update({name: getattr(module, name) for name in fixtures + tests})
    return fixtures + tests
