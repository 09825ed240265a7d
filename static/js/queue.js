// Moderation pages (no inline script: the CSP forbids it).
//
// The queue's live stream: as on the workshop wall (static/js/workshop.js), the server marks it
// with data-sse-connect, and we add hx-sse:connect once htmx has processed the page, so there is
// exactly one connection. The extension pauses it while the tab is hidden and, when the tab is
// shown again, reconnects with Last-Event-ID, which the server answers from the database.
function afterHtmx(fn) {
  const later = () => setTimeout(fn);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", later);
  else later();
}

afterHtmx(() => {
  if (typeof window.htmx === "undefined") return;
  for (const element of document.querySelectorAll("[data-sse-connect]")) {
    if (element.hasAttribute("hx-sse:connect")) continue;
    element.setAttribute("hx-sse:connect", element.dataset.sseConnect);
    window.htmx.process(element);
  }
});

// The entry page's context search filters the list as the moderator types (htmx). Enter would
// submit its plain GET form and reload the page, losing what was typed into the public text; with
// JavaScript there is nothing to submit, so Enter does nothing there.
for (const field of document.querySelectorAll("[data-context-search]")) {
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && typeof window.htmx !== "undefined") event.preventDefault();
  });
}
