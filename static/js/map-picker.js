// The map picker: only on areas that configure their own tile server. Leaflet and its stylesheet are
// loaded from our own origin the first time a map is shown. The pin is placed by a tap or a click, or
// by keyboard: arrow keys move the map and a button puts the pin in the middle (WCAG 2.5.7: no dragging).

let leafletLoading = null;

function loadLeaflet() {
  if (window.L) {
    return Promise.resolve(window.L);
  }
  leafletLoading ??= new Promise((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/vendor/leaflet/leaflet.css";
    document.head.append(css);
    const script = document.createElement("script");
    script.src = "/static/vendor/leaflet/leaflet.js";
    script.onload = () => resolve(window.L);
    script.onerror = reject;
    document.head.append(script);
  });
  return leafletLoading;
}

export async function initMapPicker(picker, onPoint) {
  const L = await loadLeaflet();
  picker.hidden = false;
  const [south, west, north, east] = picker.dataset.bounds.split(",").map(Number);
  const bounds = L.latLngBounds([south, west], [north, east]);
  const container = picker.querySelector("[data-map]");
  const map = L.map(container, { maxBounds: bounds.pad(0.2), keyboard: true, attributionControl: true });
  map.fitBounds(bounds);
  L.tileLayer(picker.dataset.tileUrl, { maxZoom: 19, attribution: "" }).addTo(map);
  const status = picker.querySelector("[data-map-status]");
  let marker = null;

  function place(latlng) {
    if (!bounds.contains(latlng)) {
      return;
    }
    marker ??= L.circleMarker(latlng, { radius: 10, weight: 3 }).addTo(map);
    marker.setLatLng(latlng);
    onPoint(latlng.lat, latlng.lng);
    status.textContent = picker.dataset.textPlaced;
  }

  map.on("click", (event) => place(event.latlng));
  picker.querySelector("[data-pin-centre]").addEventListener("click", () => place(map.getCenter()));
}
