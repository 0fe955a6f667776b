"""A fake Slack Web API server on loopback (see server.py); tests talk real HTTP to it."""

from .server import DEFAULT_METHODS_INDEX, Call, FakeSlack

__all__ = ["DEFAULT_METHODS_INDEX", "Call", "FakeSlack"]
