// Small behaviours for every page. Loaded as a module from our own origin: the CSP allows no inline script.
import { initExitThisPage } from "./exit-this-page.js";
import { initReportFlow } from "./report-flow.js";

initExitThisPage(document);

// After an htmx swap (or on first load), move focus to what changed so screen readers announce it.
function focusNewContent(root, selector = "[data-focus-on-load]") {
  const target = root.querySelector(selector);
  if (!target) {
    return;
  }
  if (target.matches("[data-help-now]")) {
    // Help for someone who may not be safe opens the screen: show it from the top, with its
    // tap-to-call 999 in view, however far down the last screen was scrolled.
    window.scrollTo(0, 0);
    target.focus({ preventScroll: true });
    return;
  }
  target.focus();
}

// On a full page load only a message needs the focus; after a swap, the new content does.
focusNewContent(document, "[role=alert][data-focus-on-load]");
document.addEventListener("htmx:after:swap", (event) => {
  const target = event.target instanceof Element ? event.target : document;
  focusNewContent(target);
});

initReportFlow(document);
