// Progressive enhancement for a record's admin form: while a curator types its name (or an
// acronym), lists the existing records it probably duplicates under the field. Only a
// hint: saving the form checks again and asks for confirmation (catalogue/admin/duplicates.py).
// Admin loads it in the page's head, hence the wait for the form.
document.addEventListener("DOMContentLoaded", () => {
  const name = document.querySelector("input[data-likely-duplicates-url]");
  if (!name) {
    return;
  }
  const acronym = document.getElementById("id_acronym");
  const hint = document.createElement("div");
  hint.className = "help likely-duplicates-hint";
  hint.setAttribute("aria-live", "polite");
  name.parentElement.after(hint);

  let timer;
  let pending;

  function show(duplicates) {
    hint.replaceChildren();
    if (duplicates.length === 0) {
      return;
    }
    const heading = document.createElement("p");
    heading.textContent = "Likely duplicates (each opens in a new tab):";
    const list = document.createElement("ul");
    for (const duplicate of duplicates) {
      const link = document.createElement("a");
      link.href = duplicate.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = duplicate.name;
      const item = document.createElement("li");
      item.append(link, ` — ${duplicate.reason}, ${duplicate.publication}`);
      list.append(item);
    }
    hint.append(heading, list);
  }

  function check() {
    pending?.abort();
    pending = new AbortController();
    const url = new URL(name.dataset.likelyDuplicatesUrl, window.location.href);
    url.searchParams.set("name", name.value);
    url.searchParams.set("acronym", acronym ? acronym.value : "");
    url.searchParams.set("record", name.dataset.record);
    fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { duplicates: [] }))
      .then((answer) => show(answer.duplicates))
      .catch((error) => {
        if (error.name !== "AbortError") {
          show([]);
        }
      });
  }

  for (const field of [name, acronym]) {
    field?.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    });
  }
});
