"""The span type every detector returns, and how overlapping candidates are resolved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PII_KINDS = (
    "phone",
    "email",
    "postcode",
    "street_address",
    "vehicle_reg",
    "social_handle",
    "url",
    "person_name",
    "school_name",
)


@dataclass(frozen=True)
class Span:
    kind: str  # one of PII_KINDS
    start: int  # character offsets into the original text, end exclusive
    end: int

    def __post_init__(self) -> None:
        if self.kind not in PII_KINDS:
            raise ValueError(f"unknown personal-detail kind: {self.kind!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"invalid span offsets: {self.start}..{self.end}")


# Longest candidate wins an overlap; on equal length the earlier kind here wins.
_KIND_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        (
            "email",
            "url",
            "phone",
            "postcode",
            "street_address",
            "vehicle_reg",
            "social_handle",
            "school_name",
            "person_name",
        )
    )
}


def strip_trailing_punctuation(text: str, start: int, end: int) -> int:
    """``end`` moved left past closing punctuation that a pattern swallowed."""
    while end > start and text[end - 1] in ".,;:!?'\"\u2019)":
        end -= 1
    return end


def overlaps_any(span: Span, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(span.start < end and start < span.end for start, end in ranges)


def choose_non_overlapping(candidates: Sequence[Span]) -> list[Span]:
    """Keep the longest candidate wherever two overlap; result sorted by start."""
    ordered = sorted(
        set(candidates), key=lambda s: (-(s.end - s.start), _KIND_PRIORITY[s.kind], s.start)
    )
    chosen: list[Span] = []
    for span in ordered:
        if not any(span.start < other.end and other.start < span.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
