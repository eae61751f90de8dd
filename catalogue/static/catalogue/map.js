// The cities map. The page embeds the cities (#city-map-data) and already lists them in a table;
// this draws them on country outlines that the site serves itself, with no tile server. Markers
// are buttons: Tab reaches them, Enter or Space opens a city's popup and moves focus into it,
// Escape closes it and gives focus back to the marker; Enter on a group of cities zooms in.
(() => {
  const container = document.getElementById("city-map");
  const data = document.getElementById("city-map-data");
  // Without Leaflet or the data the note in the container stays, and the table does the work.
  if (!container || !data || !window.L || !L.markerClusterGroup || !window.topojson) {
    return;
  }
  const cities = JSON.parse(data.textContent);
  container.replaceChildren();
  // How to use the map, shown only where there is one.
  document.getElementById(container.getAttribute("aria-describedby")).hidden = false;

  const map = L.map(container, {
    minZoom: 1,
    maxZoom: 8,
    zoomSnap: 0.5,
    maxBounds: [
      [-85, -210],
      [85, 210],
    ],
  });
  map.attributionControl.addAttribution("Country outlines: Natural Earth");
  // The view comes first: Leaflet draws a layer, and so creates its elements, only once the map
  // has one.
  if (cities.length) {
    const bounds = L.latLngBounds(cities.map((city) => [city.latitude, city.longitude]));
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 5 });
  } else {
    map.setView([20, 0], 1.5);
  }

  fetch(container.dataset.countriesUrl)
    .then((response) => {
      if (!response.ok) {
        throw new Error(`Country outlines: HTTP ${response.status}`);
      }
      return response.json();
    })
    .then((world) => {
      L.geoJSON(topojson.feature(world, world.objects.countries), {
        interactive: false,
        style: { className: "city-map__country" },
      }).addTo(map);
    })
    // The markers still stand on the plain background.
    .catch((error) => console.error(error));

  const text = (tag, className, content) => {
    const element = document.createElement(tag);
    element.className = className;
    element.textContent = content;
    return element;
  };

  const link = (href, content) => {
    const element = document.createElement("a");
    element.href = href;
    element.textContent = content;
    return element;
  };

  const popupContent = (city) => {
    const content = document.createElement("div");
    const name = text("p", "city-popup__name", "");
    name.append(link(city.url, city.name));
    content.append(
      name,
      text("p", "city-popup__meta", city.country),
      text("p", "city-popup__meta", city.strategy),
    );
    const counts = document.createElement("ul");
    counts.className = "city-popup__counts";
    for (const count of city.counts) {
      const label = `${count.count} ${count.label}`;
      const item = document.createElement("li");
      item.append(count.url ? link(count.url, label) : label);
      counts.append(item);
    }
    content.append(counts);
    return content;
  };

  const focusPopup = (marker) => {
    const firstLink = marker.getPopup().getElement().querySelector(".city-popup__name a");
    firstLink.focus();
  };

  // Cities whose markers would overlap at the map's zoom are drawn as one marker for the group,
  // which zooms in on them when selected: every marker stays a target of 24 px at least, clear
  // of the others.
  const markers = L.markerClusterGroup({
    maxClusterRadius: 30,
    showCoverageOnHover: false,
    iconCreateFunction: (group) => {
      const names = group
        .getAllChildMarkers()
        .map((marker) => marker.options.title)
        .sort((a, b) => a.localeCompare(b));
      const html = document.createElement("span");
      html.append(
        text("span", "city-group__count", String(names.length)),
        text("span", "visually-hidden", ` cities: ${names.join(", ")}. Select to zoom in on them.`),
      );
      return L.divIcon({ className: "city-group", html, iconSize: [32, 32] });
    },
  });

  for (const city of cities) {
    const content = popupContent(city);
    const marker = L.marker([city.latitude, city.longitude], {
      icon: L.divIcon({ className: "city-marker", iconSize: [24, 24] }),
      title: city.name,
      riseOnHover: true,
    }).bindPopup(content, { className: "city-popup" });
    // A marker's element exists only while the marker is drawn (not while it is in a group),
    // and is kept when it is drawn again: made ready once.
    marker.on("add", () => {
      const element = marker.getElement();
      if (element.dataset.ready) {
        return;
      }
      element.dataset.ready = "true";
      element.setAttribute("aria-label", `${city.name}, ${city.country}`);
      element.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          marker.openPopup();
          focusPopup(marker);
        } else if (event.key === "Escape") {
          marker.closePopup();
        }
      });
    });
    // Leaflet closes popups on Escape only while the map itself has focus, not a marker or a link.
    content.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        marker.closePopup();
      }
    });
    marker.on("popupclose", (event) => {
      // Closing with Escape or the close button removes the focused element; focus would fall
      // back to the page's start.
      const active = document.activeElement;
      if (active === document.body || event.popup.getElement().contains(active)) {
        marker.getElement().focus();
      }
    });
    markers.addLayer(marker);
  }
  map.addLayer(markers);
})();
