// Small behaviours for every page. Loaded as a module from our own origin: the CSP allows no inline script.
import { initExitThisPage } from "./exit-this-page.js";

initExitThisPage(document);

// After an htmx swap (or on first load), move focus to what changed so screen readers announce it.
function focusNewContent(root) {
  const target = root.querySelector("[data-focus-on-load]");
  if (target) {
    target.focus();
  }
}

focusNewContent(document);
document.addEventListener("htmx:after:swap", (event) => {
  const target = event.target instanceof Element ? event.target : document;
  focusNewContent(target);
});
