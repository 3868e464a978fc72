// Type-to-filter on an issue page: keeps what contains every typed word.
// A section whose heading matches is shown whole; otherwise a section stays when one of
// its items, sub-headings or paragraphs matches, with its items narrowed to those that
// match (all of them when only its prose does). A section is never hidden that holds a match.
(function () {
  "use strict";
  var box = document.querySelector("input[data-filter]");
  if (!box) return;
  var status = document.querySelector("[data-filter-status]");
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var ITEM = "article.item, li.link-item";

  function text(node) { return node ? node.textContent.toLowerCase() : ""; }

  // Each section: its heading, and its children in runs under their sub-headings.
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.section")).map(function (node) {
    var groups = [];
    var group = { title: null, titleText: "", prose: [], items: [] };
    groups.push(group);
    Array.prototype.forEach.call(node.children, function (child) {
      if (child.classList.contains("section-title")) return;
      if (child.classList.contains("group-title")) {
        group = { title: child, titleText: text(child), prose: [], items: [] };
        groups.push(group);
      } else if (child.matches("article.item")) {
        group.items.push({ node: child, text: text(child) });
      } else if (child.matches("ul.links")) {
        Array.prototype.forEach.call(child.querySelectorAll("li.link-item"), function (li) {
          group.items.push({ node: li, text: text(li) });
        });
      } else {
        group.prose.push(text(child));
      }
    });
    return { node: node, heading: text(node.querySelector(".section-title")), groups: groups };
  });
  var total = document.querySelectorAll(ITEM).length;

  function apply() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    function has(content) {
      return words.every(function (word) { return content.indexOf(word) !== -1; });
    }
    var shown = 0;
    var matched = 0;
    sections.forEach(function (section) {
      var whole = words.length === 0 || has(section.heading);
      var any = whole;
      section.groups.forEach(function (group) {
        var groupWhole = whole || (group.title !== null && has(group.titleText)) ||
          group.prose.some(has);
        var groupShown = 0;
        group.items.forEach(function (item) {
          var keep = groupWhole || has(item.text);
          item.node.hidden = !keep;
          if (keep) groupShown += 1;
        });
        shown += groupShown;
        var groupAny = groupWhole || groupShown > 0;
        if (group.title) group.title.hidden = !groupAny;
        if (groupAny) any = true;
      });
      section.node.hidden = !any;
      section.node.querySelectorAll("ul.links").forEach(function (list) {
        list.hidden = !list.querySelector("li.link-item:not([hidden])");
      });
      if (any) matched += 1;
    });
    if (status) {
      status.textContent = words.length === 0 ? "" :
        (zh ? "显示 " + shown + " / " + total + " 条，" + matched + " 个栏目" :
              "Showing " + shown + " of " + total + " items in " + matched +
              (matched === 1 ? " section" : " sections"));
    }
  }

  box.addEventListener("input", apply);
  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { box.value = ""; apply(); }
  });
})();
