// "Copy" buttons for citations: added only where the Clipboard API exists, so
// without JavaScript (or without clipboard access) the text is simply there to select.
// The words come from the page (base.html's <body data-copy-…>), in its language.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  var words = document.body.dataset;
  document.querySelectorAll(".citation[data-copy-label]").forEach(function (block) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary copy-button";
    button.textContent = words.copy.replace("{label}", block.getAttribute("data-copy-label"));
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(block.textContent.trim()).then(
        function () { status.textContent = words.copied; },
        function () { status.textContent = words.copyFailed; }
      );
    });
    var row = document.createElement("p");
    row.className = "copy-row";
    row.append(button, status);
    block.after(row);
  });
})();
