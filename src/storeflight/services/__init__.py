"""Use cases. Each takes an open transaction (`Tx`) and never commits: the caller owns the boundary."""
