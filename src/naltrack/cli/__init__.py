"""The command-line face: ``naltrack``."""
