"""Device reports: the events devices post, the rollout cohort each device counts in, and the health numbers."""
