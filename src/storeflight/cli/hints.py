"""The next step to suggest for a 409: each conflict the server reports gets the hint that fits it.

Pure: the server's error (its code, `target` and message) in, one line of advice out. The rules are checked
in order; the first whose target and words match wins, and an unknown conflict gets a neutral hint.
"""

from __future__ import annotations

from typing import NamedTuple

from storeflight.client import ConflictError


class Rule(NamedTuple):
    target: str | None  # the error body's `target`, or None for any
    words: tuple[str, ...]  # all of these, lower case, in the message
    hint: str


_PENDING = (
    "another submission of this app or flight is still pending: carry on with it (`storeflight submission "
    "status`), or delete it with `storeflight submission delete` (`storeflight publish --force` does both)"
)
_FAILED = (
    "a failed submission cannot be changed or committed again: see why with `storeflight submission status`, "
    "delete it with `storeflight submission delete`, then publish a fixed package (`publish --force` does both)"
)

RULES: tuple[Rule, ...] = (
    Rule("flightGroup", ("used by",), "remove the group from the flights that name it (`storeflight flights "
         "update FLIGHT --group ...`), then delete it"),
    Rule("flight", ("published submission",), "publish the app's first submission before creating a flight "
         "(`storeflight publish APP ...`)"),
    Rule("flight", ("partner center",), "delete the flight's pending submission first (`storeflight submission "
         "delete`)"),
    Rule("flight", (), "the flight's submission is moving through the pipeline: wait for it (`storeflight "
         "submission wait`), or delete it once it has failed"),
    Rule("application", ("features",), "this app uses features the API cannot manage; manage it in Partner Center"),
    Rule(None, ("package rollout operation", "complete"), "the rollout is already finalized: nothing is left to "
         "change; `storeflight rollout show` shows it"),
    Rule(None, ("package rollout operation", "stopped"), "the rollout is halted: a halted rollout cannot be raised "
         "or finalized; publish a fixed submission instead (`storeflight publish`)"),
    Rule(None, ("package rollout operation",), "rollout changes need a published submission whose rollout is in "
         "progress; `storeflight rollout show` tells where it stands"),
    Rule(None, ("package rollout of submission",), "finish the rollout first: `storeflight rollout finalize` "
         "(everyone gets it) or `storeflight rollout halt`"),
    Rule(None, ("resting in release",), "only a submission waiting in Release (Manual publish mode) can be "
         "released; `storeflight submission status` shows where it is"),
    Rule(None, ("failed)",), _FAILED),
    Rule(None, ("still in progress",), _PENDING),
    Rule(None, ("another submission is in progress",), _PENDING),
    Rule(None, ("does not belong",), "the submission id belongs to another app or flight: check it with "
         "`storeflight submission show`"),
    Rule(None, ("in its current state",), "the submission is moving through the pipeline: wait for it "
         "(`storeflight submission wait`)"),
)

DEFAULT = "the resource is not in a state that allows this; `storeflight submission status` shows where it is"


def conflict_hint(error: ConflictError) -> str:
    """The next step for a 409 the server answered."""
    body = error.body if isinstance(error.body, dict) else {}
    target = body.get("target")
    message = (error.message or "").lower()
    for rule in RULES:
        if rule.target is not None and rule.target != target:
            continue
        if all(word in message for word in rule.words):
            return rule.hint
    return DEFAULT
