// The report, one question per screen, enhanced: htmx swaps the steps; this file keeps the browser's
// Back and Forward buttons in step with them, says so when a send fails, and offers "Use my location"
// and the map picker. Without JavaScript every step is a plain form post and none of this is needed.
//
// Nothing is written to storage: answers live only in the form on screen (and, after Send, in one
// in-memory copy so Back shows the answers again and a resend gives back the same receipt).

const STATE_KEY = "safetymapReportStep";

let position = 0; // how many steps forward of the page load this history entry is
let restoring = false; // the next swap answers a Back/Forward press, so it must not add history
let lastForm = null; // the last step's markup, kept in memory only, for Back after sending

function main() {
  return document.getElementById("main");
}

function currentStep() {
  return main()?.querySelector("[data-report-step]") ?? null;
}

function announceStep(step) {
  if (step.dataset.title) {
    document.title = step.dataset.title;
  }
}

function afterSwap() {
  const step = currentStep();
  const wasRestoring = restoring;
  restoring = false;
  if (step || main()?.querySelector(".receipt-code")) {
    // A new screen starts at the top, as a page load does: its heading and the header sit clear of
    // the sticky exit bar, whatever the last screen was scrolled to.
    window.scrollTo(0, 0);
  }
  if (step) {
    announceStep(step);
    lastForm = main().innerHTML;
    initStep(step);
    if (wasRestoring) {
      history.replaceState({ [STATE_KEY]: position }, "");
    } else if (step.dataset.reportStep !== afterSwap.lastStepName) {
      position += 1;
      history.pushState({ [STATE_KEY]: position }, "");
    }
    afterSwap.lastStepName = step.dataset.reportStep;
  } else if (main()?.querySelector(".receipt-code")) {
    afterSwap.lastStepName = "sent";
    const titled = main().querySelector("[data-title]");
    if (titled) {
      document.title = titled.dataset.title;
    }
  }
}
afterSwap.lastStepName = null;

function postFromForm(go) {
  const form = main()?.querySelector("[data-report-form]");
  if (!form) {
    return false;
  }
  const button = Array.from(form.querySelectorAll("button[name=go]")).find((b) => b.value === go);
  restoring = true;
  if (button) {
    button.click();
  } else {
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "go";
    hidden.value = go;
    form.append(hidden);
    form.requestSubmit();
  }
  return true;
}

function onPopState(event) {
  if (document.documentElement.classList.contains("is-exiting")) {
    return; // "Exit this page" is stepping back over the report's entries on its way out
  }
  const target = event.state && typeof event.state[STATE_KEY] === "number" ? event.state[STATE_KEY] : 0;
  const goingBack = target < position;
  position = target;
  if (currentStep()) {
    postFromForm(goingBack ? "back" : "next");
  } else if (lastForm && goingBack) {
    // Back from the receipt: the answers come back with the same submission token, so sending
    // again gives the same receipt rather than a second report.
    main().innerHTML = lastForm;
    window.htmx?.process(main());
    const step = currentStep();
    afterSwap.lastStepName = step?.dataset.reportStep ?? null;
    if (step) {
      announceStep(step);
      initStep(step);
    }
  }
}

function onLanguageButton(event) {
  const button = event.target.closest("button[value^='language:']");
  if (!button || !button.form) {
    return;
  }
  // A new language changes the whole page, header included: post the answers as a normal form
  // (bypassing htmx) so the page comes back complete, in the new language, with nothing lost.
  event.preventDefault();
  const hidden = document.createElement("input");
  hidden.type = "hidden";
  hidden.name = "go";
  hidden.value = button.value;
  button.form.append(hidden);
  button.form.submit();
}

function onBackButton(event) {
  const button = event.target.closest("[data-back-button]");
  if (!button || restoring || position === 0) {
    return; // first screen since the page loaded: an ordinary post takes them back a step
  }
  event.preventDefault();
  history.back();
}

function onNetworkError(event) {
  const ctx = event.detail?.ctx;
  if (ctx?.response) {
    return; // the server answered; whatever it said has been shown
  }
  restoring = false;
  const message = main()?.querySelector("[data-send-failed]");
  if (message) {
    message.hidden = false;
    message.setAttribute("tabindex", "-1");
    message.focus();
  }
}

function initLocate(step) {
  const box = step.querySelector("[data-use-location]");
  if (!box || !("geolocation" in navigator)) {
    return;
  }
  box.hidden = false;
  const button = box.querySelector("[data-locate]");
  const status = box.querySelector("[data-locate-status]");
  button.addEventListener("click", () => {
    status.textContent = button.dataset.textWorking;
    // Asked for only now, when they pressed the button; a rough fix is plenty.
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setPoint(step, pos.coords.latitude, pos.coords.longitude);
        status.textContent = button.dataset.textDone;
      },
      () => {
        status.textContent = button.dataset.textFailed;
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 },
    );
  });
}

export function setPoint(step, lat, lng) {
  const latInput = step.querySelector("[data-lat]");
  const lngInput = step.querySelector("[data-lng]");
  if (latInput && lngInput) {
    latInput.value = lat.toFixed(5);
    lngInput.value = lng.toFixed(5);
  }
}

function initMap(step) {
  const picker = step.querySelector("[data-map-picker]");
  if (picker) {
    import("./map-picker.js").then((module) => module.initMapPicker(picker, (lat, lng) => setPoint(step, lat, lng)));
  }
}

// The live character count under each free-text answer. Nothing is ever cut short: the count says
// how much is left, or how much too long it is, and the server keeps every word if it is still too
// long. The visible count changes as people type; screen readers hear it once they pause.
const COUNT_PAUSE_MS = 1000;

function pageLanguage() {
  return document.documentElement.lang || undefined;
}

export function countCharacters(text) {
  return Array.from(text.trim()).length; // code points, as the server counts them
}

export function countWords(counter, length) {
  const limit = Number(counter.dataset.limit);
  const number = new Intl.NumberFormat(pageLanguage());
  if (length <= limit) {
    return counter.dataset.textUnder.replace("{count}", number.format(length)).replace("{limit}", number.format(limit));
  }
  const over = length - limit;
  const forms = JSON.parse(counter.dataset.textOver); // each plural form of the page language
  const form = forms[new Intl.PluralRules(pageLanguage()).select(over)] ?? forms.other ?? Object.values(forms)[0];
  return form.replace("{over}", number.format(over));
}

function initCharCounts(step) {
  for (const field of step.querySelectorAll("[data-char-limit]")) {
    const counter = step.querySelector(`[data-char-count="${field.name}"]`);
    const status = step.querySelector(`[data-char-count-status="${field.name}"]`);
    if (!counter) {
      continue;
    }
    let timer = null;
    const update = () => {
      const length = countCharacters(field.value);
      const text = countWords(counter, length);
      counter.textContent = text;
      counter.classList.toggle("char-count--over", length > Number(counter.dataset.limit));
      return text;
    };
    update();
    field.addEventListener("input", () => {
      const text = update();
      clearTimeout(timer);
      if (status) {
        timer = setTimeout(() => {
          status.textContent = text;
        }, COUNT_PAUSE_MS);
      }
    });
  }
}

function initStep(step) {
  initLocate(step);
  initMap(step);
  initCharCounts(step);
}

export function initReportFlow(doc) {
  const step = currentStep();
  if (!step) {
    return;
  }
  history.replaceState({ [STATE_KEY]: 0 }, "");
  afterSwap.lastStepName = step.dataset.reportStep;
  lastForm = main().innerHTML;
  initStep(step);
  doc.addEventListener("htmx:after:swap", afterSwap);
  doc.addEventListener("htmx:error", onNetworkError);
  doc.addEventListener("click", onBackButton);
  doc.addEventListener("click", onLanguageButton);
  window.addEventListener("popstate", onPopState);
}
