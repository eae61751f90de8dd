// Type-ahead for the site's search box: as a reader types, the records the search finds, a few
// of each kind (/api/v1/names/), offered as a list box under it. Arrow keys move through the
// list, Enter opens the record chosen (or searches, if none is), Escape closes the list.
// Without scripts the box is the plain search form it always is.
(() => {
  const input = document.getElementById("site-search-q");
  const form = input && input.form;
  if (!form || !form.dataset.namesUrl || !window.fetch) {
    return;
  }
  const list = document.createElement("ul");
  list.id = "site-search-names";
  list.className = "names";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Records whose names match");
  list.hidden = true;
  form.append(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  let active = -1;
  let timer = null;
  const options = () => [...list.querySelectorAll("[role=option]")];
  const open = (isOpen) => {
    list.hidden = !isOpen;
    input.setAttribute("aria-expanded", String(isOpen));
    if (!isOpen) {
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
  };
  const choose = (index) => {
    options().forEach((option, position) => {
      option.setAttribute("aria-selected", String(position === index));
    });
    active = index;
    input.setAttribute("aria-activedescendant", options()[index].id);
  };
  const show = (results) => {
    list.replaceChildren(
      ...results.map((item, index) => {
        const option = document.createElement("li");
        option.id = `site-search-name-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.url = item.url;
        option.textContent = item.acronym ? `${item.name} (${item.acronym})` : item.name;
        const kind = document.createElement("span");
        kind.className = "names__type";
        kind.textContent = ` · ${item.type}`;
        option.append(kind);
        // Before the box loses focus, which would close the list.
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          window.location.assign(item.url);
        });
        return option;
      }),
    );
    active = -1;
    open(results.length > 0);
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < 2) {
      open(false);
      return;
    }
    timer = setTimeout(() => {
      fetch(`${form.dataset.namesUrl}?q=${encodeURIComponent(text)}`)
        .then((response) => (response.ok ? response.json() : { results: [] }))
        // Only the answer to what the box still holds.
        .then((data) => input.value.trim() === text && show(data.results))
        .catch(() => open(false));
    }, 150);
  });
  input.addEventListener("keydown", (event) => {
    const all = options();
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && all.length) {
      event.preventDefault();
      open(true);
      const step = event.key === "ArrowDown" ? 1 : all.length - 1;
      choose(active < 0 && step !== 1 ? all.length - 1 : (active + step) % all.length);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      window.location.assign(all[active].dataset.url);
    } else if (event.key === "Escape" && !list.hidden) {
      // Closes the list only: a search box clears itself on a second Escape.
      event.preventDefault();
      open(false);
    }
  });
  input.addEventListener("blur", () => open(false));
})();
