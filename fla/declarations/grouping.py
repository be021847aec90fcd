"""Group commit: declarations of concurrent requests written together, in one chunk.

An API ``PUT`` is one declaration. Written alone it pays in full for what a chunk of
the write path shares: locking and reading its worker, writing, the credit refresh and
the commit. When requests of the same caller arrive while one of them is being
written, they wait for it and are then written together, as one chunk of ``submit``,
and each request answers with its own outcome. A busy server writes more per
transaction; a quiet one answers exactly as before, since no request ever waits for a
timer: the first request is written at once, and only those that arrive while a write
runs are grouped.

A group holds at most one declaration per worker and per reference (later ones wait
for the next group), so every outcome is the one the declaration has alone: credit
exceeded (W003) is judged per worker after the chunk, and a reference twice in one
chunk would be a duplicate (E022). The group shares the leader's caller, so only
requests of one caller (same channel, person or client, scopes) are grouped.

The group is written whole or not at all (``submit(replay=False)``). Should its write
fail, each request writes its own declaration alone, on its own thread: a group never
makes a request fail that would have succeeded by itself, and never applies a
declaration twice.

A write may wait for a lock (a BATCH chunk holds its workers' locks until it commits,
about a second). Requests already waiting wait for it; one that arrives when the
write has run for over ``STUCK_SECONDS`` (0.5 s) is written alone at once instead, so
a stuck group does not hold up every later request of its caller (the locks of the
write path order it with the group as they order any two writes).

``FLA_GROUP_COMMIT`` (on by default) turns it off; it is off inside an open
transaction too, as the group would not share it.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from fla.accounts.access import DECLARE, Caller
from fla.core.identifiers import checked_insz
from fla.declarations.types import Declaration, Outcome
from fla.employers.models import Employer
from fla.ops.metrics import GROUP_SIZE

MAX_GROUP = 64
STUCK_SECONDS = 0.5  # a write running longer than this takes no more requests


@dataclass(eq=False)
class _Waiting:
    caller: Caller
    declaration: Declaration
    employer: Employer
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None  # None once woken: write the declaration alone
    lead: bool = False  # woken to write the next group

    @functools.cached_property
    def keys(self) -> tuple[tuple, ...]:
        """What no two declarations of a group may share, normalised as the write path
        normalises it (an INSZ it cannot read is kept as given: it is rejected anyway).
        Worked out once: a waiting request is looked at by every group formed meanwhile."""
        data = self.declaration.data
        keys: list[tuple] = [("reference", self.employer.pk, str(data.get("reference")).strip())]
        insz = data.get("insz")
        if insz is not None:
            keys.append(("insz", self.employer.pk, checked_insz(str(insz)) or str(insz)))
        return tuple(keys)


class _Queue:
    """The requests of one caller waiting to be written, and whether a write runs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[_Waiting] = []
        self.busy = False
        self.since = 0.0  # when the running write started

    def take(self, leader: _Waiting) -> list[_Waiting]:
        """The next group, ``leader`` first, then the others in arrival order."""
        with self.lock:
            self.waiting.remove(leader)
            group, seen = [leader], set(leader.keys)
            kept = []
            for waiting in self.waiting:
                keys = waiting.keys
                if len(group) < MAX_GROUP and seen.isdisjoint(keys):
                    group.append(waiting)
                    seen.update(keys)
                else:
                    kept.append(waiting)
            self.waiting = kept
            return group

    def hand_over(self) -> None:
        """After a write: wake the first waiting request to lead, or go idle."""
        with self.lock:
            if not self.waiting:
                self.busy = False
                return
            following = self.waiting[0]
            self.since = time.monotonic()
        following.lead = True
        following.done.set()


_queues: dict[tuple, _Queue] = {}
_queues_lock = threading.Lock()


def _caller_key(caller: Caller) -> tuple:
    return (
        caller.channel,
        caller.label,
        caller.user_id,
        caller.employer_id,
        caller.mandatary_id,
        caller.scopes,
        caller.system,
        caller.within,
    )


def _queue_of(caller: Caller) -> _Queue:
    key = _caller_key(caller)
    queue = _queues.get(key)
    if queue is None:
        with _queues_lock:
            queue = _queues.setdefault(key, _Queue())
    return queue


def _alone(caller: Caller, declaration: Declaration, employer: Employer) -> Outcome:
    from fla.declarations.services import submit

    GROUP_SIZE.observe(1)
    return submit(caller, [declaration], employers=[employer])[0]


def submit_grouped(caller: Caller, declaration: Declaration, employer: Employer) -> Outcome:
    """Write one declaration of ``employer`` (already read by the caller), grouped with
    those of concurrent requests of the same caller; its own outcome."""
    if (
        not settings.FLA_GROUP_COMMIT
        or connection.in_atomic_block
        # The group is written with the leader's caller: join only with the same rights
        # (alone, a declaration this caller may not make gets its usual rejection).
        or not caller.can(employer.pk, DECLARE)
    ):
        return _alone(caller, declaration, employer)
    queue = _queue_of(caller)
    me = _Waiting(caller, declaration, employer)
    with queue.lock:
        stuck = queue.busy and time.monotonic() - queue.since > STUCK_SECONDS
        if not stuck:
            queue.waiting.append(me)
            leading = not queue.busy
            if leading:
                queue.busy, queue.since = True, time.monotonic()
    if stuck:
        return _alone(caller, declaration, employer)
    if not leading:
        me.done.wait()
        if not me.lead:
            return me.outcome if me.outcome is not None else _alone(caller, declaration, employer)
    group = [me]
    try:
        queue.since = time.monotonic()
        group = queue.take(me)
        _write(group)
    finally:
        # Whatever happened, the next request leads and this group's requests wake up
        # (those without an outcome then write their own declaration alone).
        queue.hand_over()
        for waiting in group[1:]:
            waiting.done.set()
    return me.outcome if me.outcome is not None else _alone(caller, declaration, employer)


def _write(group: list[_Waiting]) -> None:
    """Write the group in one transaction and give each request its outcome; a request
    left without one (the group failed, or its outcome could depend on the group) writes
    its declaration alone afterwards."""
    from fla.declarations.services import submit

    leader = group[0]
    if len(group) == 1:
        leader.outcome = _alone(leader.caller, leader.declaration, leader.employer)
        return
    employers = {w.employer.pk: w.employer for w in group}.values()
    try:
        # No replay one by one on failure: the group is written whole or not at all, so
        # that writing each alone afterwards never applies a declaration twice.
        outcomes = submit(
            leader.caller, [w.declaration for w in group], employers=employers, replay=False
        )
    except Exception:
        return
    GROUP_SIZE.observe(len(group))
    for waiting, outcome in zip(group, outcomes, strict=True):
        # E022 (a reference twice in one submission) and E003 (an employer the leader's
        # caller may not declare for) can only come from being grouped: such a request
        # writes alone, and gets what it gets alone. (The keys keep both out; this is the
        # backstop.) Nothing of a rejected declaration was stored.
        if outcome.accepted or not {f.code for f in outcome.errors} & {"E022", "E003"}:
            waiting.outcome = outcome
