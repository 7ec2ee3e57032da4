// The Theme page's live preview (docs/themes.md): each change to the form reloads the preview frame
// with the unsaved choice; the colour box and the colour text follow each other. A separate file, as
// the Content-Security-Policy runs no inline script.
const form = document.querySelector("form[data-preview]");
const frame = document.getElementById("theme-preview");
const picker = document.getElementById("colour-picker");
if (form && frame) {
  const colour = form.elements.colour;
  let timer;
  const preview = () => {
    const query = new URLSearchParams();
    for (const name of ["theme", "colour", "announcement", "announcement_link"]) {
      query.set(name, form.elements[name] ? form.elements[name].value : "");
    }
    frame.src = `${form.dataset.preview}?${query}`;
  };
  form.addEventListener("input", (event) => {
    if (event.target === picker) {
      colour.value = picker.value;
    } else if (event.target === colour && /^#[0-9a-fA-F]{6}$/.test(colour.value.trim())) {
      picker.value = colour.value.trim().toLowerCase();
    }
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  });
}
