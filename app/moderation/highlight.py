"""Raw words cut into plain and flagged pieces (a possible personal detail, a disclosure cue), so a
template can mark them up without ever treating the words as HTML. Moderation, the reporter-question
screen and the workshop wall all show flagged text this way."""

from __future__ import annotations

from dataclasses import dataclass

from app.moderation.triage import Span


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str | None


def highlighted(text: str, spans: list[tuple[int, Span]]) -> list[Segment]:
    """The raw text cut into plain and flagged pieces, so the template can mark them up safely."""
    segments: list[Segment] = []
    position = 0
    for _index, span in sorted(spans, key=lambda item: item[1].start):
        if span.start < position:
            continue
        segments.append(Segment(text[position : span.start], None))
        segments.append(Segment(text[span.start : span.end], span.kind))
        position = span.end
    segments.append(Segment(text[position:], None))
    return [s for s in segments if s.text]
