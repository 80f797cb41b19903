"""Run ids and readable run names."""

from __future__ import annotations

import os

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ADJECTIVES = (
    "amber autumn bold brave bright calm clever cosmic crisp daring dazzling eager fancy fiery "
    "gentle glad golden graceful happy hearty honest jolly keen lively lucky mellow misty noble "
    "polished proud quiet rapid royal rustic serene sharp silent silver smooth snowy solar sparkling "
    "stellar sunny swift tender twilight vivid warm wild wise witty young zesty"
).split()
_NOUNS = (
    "aurora bird breeze brook butterfly canyon cloud comet dawn dew dream dune ember field "
    "firefly flower forest frost galaxy glade grass harbor haze hill lake leaf meadow moon "
    "morning mountain night ocean paper pine planet pond rain river sea shadow sky smoke snow "
    "sound star sun sunset surf thunder tree valley violet water wave wind wood"
).split()


def new_run_id(length: int = 8) -> str:
    return "".join(_ALPHABET[b % 36] for b in os.urandom(length))


def name_stem() -> str:
    """`adjective-noun`; the store appends the run's number in its project."""
    a, b = os.urandom(2)
    return f"{_ADJECTIVES[a % len(_ADJECTIVES)]}-{_NOUNS[b % len(_NOUNS)]}"
