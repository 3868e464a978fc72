// Type-to-filter on an issue page: narrows the items to those containing every typed word.
(function () {
  "use strict";
  var box = document.querySelector("input[data-filter]");
  if (!box) return;
  var wrapper = box.closest(".filter");
  var status = document.querySelector("[data-filter-status]");
  var items = Array.prototype.slice.call(document.querySelectorAll("article.item"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.section"));
  var texts = items.map(function (item) { return item.textContent.toLowerCase(); });
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  if (wrapper) wrapper.hidden = false;

  function apply() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item, index) {
      var match = words.every(function (word) { return texts[index].indexOf(word) !== -1; });
      item.hidden = !match;
      if (match) shown += 1;
    });
    sections.forEach(function (section) {
      var own = section.querySelectorAll("article.item");
      var visible = section.querySelectorAll("article.item:not([hidden])");
      section.hidden = words.length > 0 && own.length > 0 && visible.length === 0;
      if (words.length > 0 && own.length === 0) section.hidden = true;
    });
    if (status) {
      status.textContent = words.length === 0 ? "" :
        (zh ? "显示 " + shown + " / " + items.length + " 条" :
              "Showing " + shown + " of " + items.length + " items");
    }
  }

  box.addEventListener("input", apply);
  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { box.value = ""; apply(); }
  });
})();
