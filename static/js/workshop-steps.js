// A workshop entry, one question per screen, enhanced: htmx swaps the screens (app.js moves the
// focus to the new question). This keeps the page title in step, lets the browser's own Back and
// Forward buttons move between screens with every answer kept (they press the form's Back or
// Continue), and says so when a send fails. Without JavaScript every screen is a plain form post.
// Nothing is written to storage: the answers live only in the form on screen.

const STATE_KEY = "safetymapWorkshopStep";
let position = 0; // how many screens forward of the page load this history entry is
let restoring = false; // the next swap answers a Back/Forward press, so it adds no history
let lastStep = null;

function currentStep() {
  return document.querySelector("#main [data-workshop-step]");
}

function press(go) {
  const form = document.getElementById("workshop-entry");
  const button = form && Array.from(form.querySelectorAll("button[name=go]")).find((b) => b.value === go);
  if (!button) {
    return false;
  }
  restoring = true;
  button.click();
  return true;
}

document.addEventListener("htmx:after:swap", () => {
  const step = currentStep();
  if (!step) {
    return;
  }
  if (step.dataset.title) {
    document.title = step.dataset.title;
  }
  if (restoring) {
    restoring = false;
    history.replaceState({ [STATE_KEY]: position }, "");
  } else if (step.dataset.workshopStep !== lastStep) {
    position += 1;
    history.pushState({ [STATE_KEY]: position }, "");
  }
  lastStep = step.dataset.workshopStep;
});

window.addEventListener("popstate", (event) => {
  if (document.documentElement.classList.contains("is-exiting") || !currentStep()) {
    return; // "Exit this page" is on its way out, or this is not an entry screen
  }
  const target = event.state && typeof event.state[STATE_KEY] === "number" ? event.state[STATE_KEY] : 0;
  const goingBack = target < position;
  position = target;
  press(goingBack ? "back" : "next");
});

document.addEventListener("htmx:error", (event) => {
  restoring = false;
  if (event.detail?.ctx?.response || !currentStep()) {
    return; // the server answered, and what it said is on screen
  }
  const message = document.querySelector("#main [data-send-failed]");
  if (message) {
    message.hidden = false;
    message.setAttribute("tabindex", "-1");
    message.focus();
  }
});

if (currentStep()) {
  lastStep = currentStep().dataset.workshopStep;
  history.replaceState({ [STATE_KEY]: 0 }, "");
}
