"""Signing keys shared by every process on one database: current and previous, rotated together, re-read live."""
