"""Jinja2 templates that render Block Kit JSON, and the renderer that validates them."""
