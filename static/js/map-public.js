// The public map on a street map: only for areas that set their own tile server. It draws the same
// numbered cells as the server-drawn SVG (which stays on the page, with the table, for everyone);
// Leaflet and its stylesheet come from our own origin, tiles from the area's server.

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

async function showTiles(holder) {
  const L = await loadLeaflet();
  holder.hidden = false;
  const [south, west, north, east] = holder.dataset.bounds.split(",").map(Number);
  const bounds = L.latLngBounds([south, west], [north, east]);
  const map = L.map(holder.querySelector("[data-map]"), { maxBounds: bounds.pad(0.2), keyboard: true });
  map.fitBounds(bounds);
  L.tileLayer(holder.dataset.tileUrl, { maxZoom: 19, attribution: "" }).addTo(map);
  for (const cell of JSON.parse(holder.dataset.cells)) {
    const shape = L.polygon(cell.ring, { className: `area-map__tile-cell area-map__tile-cell--${cell.balance}`, weight: 2 });
    shape.addTo(map);
    const number = document.createElement("span");
    number.textContent = String(cell.number);
    L.marker(shape.getBounds().getCenter(), {
      icon: L.divIcon({ className: "area-map__tile-number", html: number, iconSize: [28, 28] }),
      keyboard: false,
      interactive: false,
    }).addTo(map);
  }
}

for (const holder of document.querySelectorAll("[data-tile-map]")) {
  showTiles(holder);
}
