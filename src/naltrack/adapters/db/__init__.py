"""SQLAlchemy storage: tables, mappers, repositories and the unit of work."""
