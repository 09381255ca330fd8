// Case list: apply a filter as soon as a box is ticked or the sort changes.
// Progressive enhancement only: without JavaScript the "Apply filters" and
// "Sort" buttons submit the same GET form.
(function () {
  "use strict";
  var form = document.getElementById("case-filters");
  if (!form) return;
  var controls = document.querySelectorAll(
    'input[type="checkbox"][form="case-filters"], select[form="case-filters"]'
  );
  controls.forEach(function (control) {
    control.addEventListener("change", function () {
      // Page numbers refer to the old result set; the form has no page field.
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    });
  });
})();
