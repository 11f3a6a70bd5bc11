"""The HTTP face: FastAPI app factory, REST API under /api/v1."""
