"""The pure domain core: no HTTP, no SQL. Everything here is plain data and functions."""
