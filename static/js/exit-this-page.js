// "Exit this page", the GOV.UK Design System pattern: a button that is always in view, and the Shift key
// pressed on its own three times within a few seconds. Either hides the page at once and replaces the
// current history entry with a neutral site, so Back does not bring the form back.

const PRESSES_NEEDED = 3;
const WINDOW_MS = 5000;

export function initExitThisPage(doc) {
  const container = doc.querySelector("[data-exit-this-page]");
  if (!container) {
    return;
  }
  const button = container.querySelector("[data-exit-button]");
  const indicator = container.querySelector("[data-exit-indicator]");
  let presses = 0;
  let timer = null;

  function exit(event) {
    if (event) {
      event.preventDefault();
    }
    doc.documentElement.classList.add("is-exiting");
    doc.title = "BBC Weather";
    // The report's steps add history entries within this page. Step back over all of them first, so
    // that the entry replaced by the neutral site is the one where the report began and Back leads
    // to whatever came before it, never to the form.
    const steps = window.history.state?.safetymapReportStep ?? 0;
    if (steps > 0) {
      let left = false;
      const leave = () => {
        if (!left) {
          left = true;
          window.location.replace(button.href);
        }
      };
      window.addEventListener("popstate", leave, { once: true });
      setTimeout(leave, 400);
      window.history.go(-steps);
      return;
    }
    window.location.replace(button.href);
  }

  function announce(text) {
    if (indicator) {
      indicator.textContent = text;
    }
  }

  function reset() {
    presses = 0;
    announce("");
  }

  button.addEventListener("click", exit);

  doc.addEventListener("keyup", (event) => {
    // Only a Shift pressed on its own counts; Shift as part of typing a capital letter does not.
    if (event.key !== "Shift" || event.repeat) {
      if (event.key !== "Shift") {
        reset();
      }
      return;
    }
    presses += 1;
    clearTimeout(timer);
    if (presses >= PRESSES_NEEDED) {
      announce(container.dataset.textExiting);
      exit();
      return;
    }
    const left = PRESSES_NEEDED - presses;
    // The words come from the page, so they are in the reader's language.
    announce(left === 1 ? container.dataset.textOne : container.dataset.textMany.replace("{n}", String(left)));
    timer = setTimeout(reset, WINDOW_MS);
  });

  // Coming back through the browser cache must not show a half-hidden page.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      doc.documentElement.classList.remove("is-exiting");
      reset();
    }
  });
}
