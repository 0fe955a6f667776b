"""People's rights over their data: erasure (`python bot.py forget`, HR's App Home), the
`/cadence my-data` file, and the retention job."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cadence.domain.authz import may_administer
from cadence.domain.rights import erased_token
from cadence.services.deps import Deps
from cadence.storage import repo, rights_repo
from cadence.storage.db import session_scope
from cadence.storage.sealing import SealError

log = logging.getLogger(__name__)

ERASE_ACTION = "person.erase"


class UnknownPerson(Exception):
    """No one in Cadence has this Slack ID."""


@dataclass(frozen=True, slots=True)
class Forgotten:
    person_id: int
    already: bool
    texts: int = 0
    messages: int = 0

    def sentence(self, slack_id: str) -> str:
        if self.already:
            return f"{slack_id} was already erased (person #{self.person_id}); nothing to do."
        return (
            f"Erased person #{self.person_id}: {self.texts} texts removed, {self.messages} "
            "messages deleted or cleared; name, email and Slack ID are gone."
        )


def _token(deps: Deps, slack_id: str) -> str:
    """The keyed stand-in when the key is at hand (a second erasure then recognises the
    first), else a random one."""
    try:
        return deps.sealer.erased_token(slack_id)
    except (SealError, OSError):
        return erased_token()


def forget(deps: Deps, slack_id: str, actor: str) -> Forgotten:
    """Erase a person: their free text and the text about them removed, their identity
    replaced everywhere, numbers kept; audited without the erased data. Raises UnknownPerson."""
    slack_id = slack_id.strip()
    token = _token(deps, slack_id)
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        person = repo.person_by_slack_id(slack_id, session=session)
        if person is None:
            done = repo.person_by_slack_id(token, session=session) if slack_id else None
            if done is not None and done.id is not None:
                return Forgotten(done.id, already=True)
            raise UnknownPerson(slack_id)
        if person.erased_at is not None and person.id is not None:
            return Forgotten(person.id, already=True)
        erased = rights_repo.erase_person(person, token, now, session=session)
        repo.audit(
            token if actor == slack_id else actor,
            ERASE_ACTION,
            f"person:{erased.person_id}",
            "",
            now,
            session=session,
        )
    log.info("person #%d erased", erased.person_id)
    deps.wake_sender()
    return Forgotten(
        erased.person_id,
        already=False,
        texts=erased.texts,
        messages=erased.messages_deleted + erased.messages_scrubbed,
    )


def may_erase(deps: Deps, slack_id: str) -> bool:
    """Only active HR admins erase people."""
    from cadence.services.common import caller

    person = caller(deps, slack_id, hr_admin=True)
    return person is not None and may_administer(person)
