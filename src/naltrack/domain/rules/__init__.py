"""Clinical rules: induction readiness, interactions and monitoring, each with its source."""
