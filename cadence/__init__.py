"""Cadence, installed under one import name.

The design card keeps `handlers/`, `prompts/`, `storage/` (and the other layers) as top-level
folders of the repository; this package reaches them through symbolic links, so that an
install claims the single global name `cadence` (`cadence.storage`, `cadence.handlers`, …)
instead of nine generic ones. The wheel holds real copies, not links.
"""
