"""storeflight: a self-hostable Microsoft Store submission API for package flights."""

__version__ = "0.1.0"
