"""Use cases: each runs in one unit of work and calls the pure core."""
