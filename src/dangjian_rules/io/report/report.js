(function () {
  "use strict";
  var box = document.getElementById("filter");
  var subjects = Array.prototype.slice.call(document.querySelectorAll("details.subject"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.group"));
  function apply() {
    var q = box.value.trim().toLowerCase();
    subjects.forEach(function (d) {
      d.hidden = q !== "" && d.getAttribute("data-search").indexOf(q) < 0;
    });
    groups.forEach(function (g) {
      if (q === "") { g.hidden = false; return; }
      var found = g.querySelector("details.subject:not([hidden])") !== null;
      g.hidden = !found;
      g.open = found;
    });
  }
  function setAll(open) {
    groups.concat(subjects).forEach(function (d) { if (!d.hidden) { d.open = open; } });
  }
  if (box) { box.addEventListener("input", apply); }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }
  document.documentElement.setAttribute("data-ready", "1");
})();
