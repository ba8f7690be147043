"""Re-run a module of recorded client sequences (tests/clients) in interception mode.

`adopt(module, namespace)` copies the module's tests and fixtures into the calling test module, whose own
`tenant` fixture then stands in: the same requests, now sent to the real host names through the proxy.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from _pytest.fixtures import FixtureFunctionDefinition

OWN = ("tenant",)  # what the adopting module provides itself


def adopt(module: ModuleType, namespace: dict[str, Any]) -> list[str]:
    adopted = [
        name
        for name, value in vars(module).items()
        if name not in OWN
        and ((name.startswith("test_") and callable(value)) or isinstance(value, FixtureFunctionDefinition))
    ]
    assert any(name.startswith("test_") for name in adopted), f"no tests in {module.__name__}"
    namespace.update({name: getattr(module, name) for name in adopted})
    return adopted
