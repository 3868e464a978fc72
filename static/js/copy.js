// Copy buttons of the feeds page: [data-copy] puts its address on the clipboard and says so.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var label = button.firstChild;
      var before = label.nodeValue;
      label.nodeValue = button.getAttribute("data-copied");
      setTimeout(function () { label.nodeValue = before; }, 2000);
    });
  });
})();
