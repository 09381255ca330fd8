// Disclosures that are only disclosures on phones (the header's "Menu", the case
// list's "Filters"): on wider screens open them, so their state matches what is
// shown and assistive technology reports them expanded. Without JavaScript
// atlas.css shows their contents on wide screens anyway; this only tidies the state.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48.001rem)");
  var panels = document.querySelectorAll("details[data-wide-open]");
  if (!panels.length) return;
  function sync() {
    panels.forEach(function (panel) {
      if (wide.matches) panel.open = true;
      else if (panel.hasAttribute("data-was-wide")) panel.open = false;
      panel.toggleAttribute("data-was-wide", wide.matches);
    });
  }
  sync();
  if (wide.addEventListener) wide.addEventListener("change", sync);
})();
