// Progressive enhancement for list pages: every control already works as a plain form or link.
// Sort and page size change only when asked (Apply, or Enter in either list), never as the
// arrow keys move through a list; the page that answers keeps focus on the control used.
const FOCUS_KEY = "sciplo:list-focus";

document.querySelectorAll("select[data-submit-on-enter]").forEach((select) => {
  select.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      select.form.requestSubmit();
    }
  });
});

document.querySelectorAll(".sort-form, .year-range").forEach((form) => {
  form.addEventListener("submit", () => {
    const active = document.activeElement;
    if (active && active.id && form.contains(active)) {
      sessionStorage.setItem(FOCUS_KEY, active.id);
    }
  });
});

const focused = sessionStorage.getItem(FOCUS_KEY);
if (focused) {
  sessionStorage.removeItem(FOCUS_KEY);
  document.getElementById(focused)?.focus();
}
