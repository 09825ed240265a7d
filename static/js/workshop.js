// Workshops: start the live streams, and the summary's Print button (no inline script: the CSP forbids it).
//
// The server marks a live region with data-sse-connect instead of hx-sse:connect. htmx initialises
// the page from a timer it sets when its own script runs, and the SSE extension loads after it, so
// the extension could miss the page or (if we processed it ourselves too early) connect twice. Our
// timer is queued after htmx's, so htmx has processed the page once when we add the attribute and
// ask it to process just that element: exactly one connection, every time.
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

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
