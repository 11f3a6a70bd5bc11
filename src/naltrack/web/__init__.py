"""The clinician web app: server-rendered pages (Jinja2 + htmx)."""
