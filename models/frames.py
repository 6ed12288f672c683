"""The four frames: defined once here, imported everywhere else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    key: str
    description: str


FRAMES: tuple[Frame, ...] = (
    Frame(
        "sectarian_polarization",
        "Events or people presented through division, rivalry, fear or violence between religious sects.",
    ),
    Frame(
        "state_failure",
        "The state, its army or institutions presented as failing, collapsing or unable to protect or govern.",
    ),
    Frame(
        "foreign_intervention",
        "Outside states or coalitions acting in the conflict, or the debate over whether they should.",
    ),
    Frame(
        "humanitarian",
        "The human cost to civilians foregrounded: deaths, displacement, sieges, destruction, aid needs.",
    ),
)

FRAME_KEYS: tuple[str, ...] = tuple(frame.key for frame in FRAMES)


def validate_labels(labels: object) -> list[str]:
    """Return labels as a sorted list, raising ValueError naming any unknown frame."""
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"labels must be a list of frame names, got {labels!r}")
    unknown = sorted(set(labels) - set(FRAME_KEYS))
    if unknown:
        raise ValueError(f"unknown frame(s) {unknown}; known frames are {list(FRAME_KEYS)}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"duplicate frame in labels {labels!r}")
    return sorted(labels, key=FRAME_KEYS.index)
