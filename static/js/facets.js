// Case list: apply a filter as soon as a box is ticked or the sort changes, and
// come back to the same place: the filter panel stays open (on a phone it is a
// disclosure), the page keeps its scroll position and the ticked box its focus.
// Progressive enhancement only: without JavaScript the "Apply filters" and
// "Sort" buttons submit the same GET form.
(function () {
  "use strict";
  var form = document.getElementById("case-filters");
  if (!form) return;
  var panel = document.getElementById("filters");
  var KEY = "atlas:case-list:return";

  function remember(control) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({
        path: location.pathname,
        focus: control.id,
        open: !!(panel && panel.open),
        y: window.scrollY
      }));
    } catch (e) { /* storage off: the page simply reloads at the top */ }
  }

  function restore() {
    var state;
    try {
      state = JSON.parse(sessionStorage.getItem(KEY) || "null");
      sessionStorage.removeItem(KEY);
    } catch (e) { return; }
    if (!state || state.path !== location.pathname) return;
    if (panel && state.open) panel.open = true;
    // Keyboard users carry on from the box they ticked, not from the top.
    var control = state.focus && document.getElementById(state.focus);
    if (control) control.focus({ preventScroll: true });
    if (typeof state.y === "number") window.scrollTo(0, state.y);
  }

  var controls = document.querySelectorAll(
    'input[type="checkbox"][form="case-filters"], select[form="case-filters"]'
  );
  controls.forEach(function (control) {
    control.addEventListener("change", function () {
      remember(control);
      // Page numbers refer to the old result set; the form has no page field.
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    });
  });
  restore();
})();
