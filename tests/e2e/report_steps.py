"""Walking the public report in a browser, one screen at a time, as a young person would."""

from __future__ import annotations

import re
from typing import Any

KIND_BUTTONS = {
    "safe": "Somewhere I feel safe",
    "unsafe": "Somewhere I feel unsafe",
    "structural": "Something that needs to change",
}
RECEIPT = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def on_step(page: Any, step: str) -> None:
    page.wait_for_selector(f"[data-report-step={step}]", timeout=10_000)


def continue_(page: Any) -> None:
    page.get_by_role("button", name="Continue").click()


def fill_to_check(
    page: Any,
    base: str,
    *,
    kind: str = "unsafe",
    description: str = "Older lads shout at people by the gates after dark.",
    place: str | None = "Victoria Park",
    where_words: str = "",
    from_home: bool = True,
    js: bool = True,
) -> None:
    """From the home page (or /report) to the "Check and send" screen."""
    page.goto(f"{base}/" if from_home else f"{base}/report")
    page.get_by_role("button", name=re.compile(KIND_BUTTONS[kind])).click()
    on_step(page, "where")
    if place:
        search = page.get_by_label("Search for a place")
        search.fill(place.split()[0].lower())
        if not js:
            page.get_by_role("button", name="Search").click()  # without JavaScript, a plain post
        page.get_by_label(place).check()  # with JavaScript, the matches appear while typing
    if where_words:
        page.get_by_label(re.compile("Describe where it is")).fill(where_words)
    continue_(page)
    page.wait_for_selector("[data-report-step]:not([data-report-step=where])")
    if page.locator("[data-report-step=me_too]").count():
        continue_(page)
    on_step(page, "when")
    page.get_by_label("Evening").check()
    continue_(page)
    on_step(page, "what")
    page.get_by_label("Tell us in your own words").fill(description)
    continue_(page)
    on_step(page, "feel")
    page.get_by_label(re.compile("A bit unsafe")).check()
    continue_(page)
    on_step(page, "about")
    continue_(page)
    on_step(page, "check")


def send(page: Any) -> str:
    page.get_by_role("button", name="Send").click()
    code = page.locator(".receipt-code").first.inner_text(timeout=10_000)
    assert RECEIPT.fullmatch(code), code
    return code


def send_report(page: Any, base: str, **answers: Any) -> str:
    fill_to_check(page, base, **answers)
    return send(page)
