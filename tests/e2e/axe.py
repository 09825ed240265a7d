"""axe-core in the page under test: the one place that loads it and runs the WCAG rules we hold to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Any, load: Callable[[Any], None] | None = None) -> list[dict[str, Any]]:
    """axe's violations for the page as it is now. By default axe is added as a script tag from the
    file (the browser context needs bypass_csp); `load` may add it another way, e.g. from the page's
    own origin so the page's CSP stays untouched."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        if load is None:
            page.add_script_tag(path=str(AXE))
        else:
            load(page)
            page.wait_for_function("typeof window.axe !== 'undefined'")
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return list(result["violations"])
