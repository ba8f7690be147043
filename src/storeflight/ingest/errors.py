"""Package validation errors.

PackageInvalid     what `validate_package` raises: `details` names the package file and the defect
Defect             raised inside the validators; the outermost caller prefixes the package name
"""

from __future__ import annotations


class PackageInvalid(Exception):
    """The package is not valid; `details` names the package file and the defect."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


class Defect(Exception):
    """One defect of the package being validated, worded without the package's own name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def within(self, name: str) -> Defect:
        """The same defect, reported as found inside the file `name`."""
        return Defect(f"{name}: {self.message}")
