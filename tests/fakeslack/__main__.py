"""`python -m tests.fakeslack`: the fake Slack Web API as its own process (smoke tests).

Prints its base URL (for SLACK_API_URL) on the first line of standard output, then serves until
SIGTERM or SIGINT. `GET /_fake/calls?method=chat.postMessage` lists the calls it recorded.
"""

from __future__ import annotations

import signal
import sys
import threading

from tests.fakeslack import FakeSlack


def main() -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with FakeSlack() as fake:
        print(fake.url, flush=True)  # noqa: T201
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
