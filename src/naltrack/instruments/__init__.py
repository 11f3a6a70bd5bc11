"""Screening instruments as data, with scoring and bands. Pure."""
