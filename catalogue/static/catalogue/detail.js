// Progressive enhancement for record pages: the citation is already a selectable, read-only
// text box; this shows its Copy button and copies the text in one click.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector("[role=status]");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value);
      status.textContent = "Copied.";
    } catch {
      source.select();
      status.textContent = "Selected: press Ctrl+C or ⌘C to copy.";
    }
  });
});
