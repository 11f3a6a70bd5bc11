"""Web routes, one module per area; each calls one service and renders a template."""
