// Progressive enhancement for list pages: every control already works as a plain form or link;
// this only submits the sort and page-size choices as soon as they change.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});
