/* Leather Bridge: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 1200px)");

  // On wide screens the main menu is always shown (portal.css does it where ::details-content is
  // supported; this covers the rest). Below, it folds behind its "Menu" button.
  function fitMenu() {
    document.querySelectorAll("details[data-wide-open]").forEach(function (menu) {
      if (WIDE.matches) { menu.open = true; }
    });
  }
  fitMenu();
  if (WIDE.addEventListener) { WIDE.addEventListener("change", fitMenu); }

  // Dropdown menus (<details class="menu">): one open at a time, closed by a click elsewhere or Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) { menu.open = false; }
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.menu") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("details.menu[open]");
    if (open) {
      open.open = false;
      var summary = open.querySelector("summary");
      if (summary) { summary.focus(); }
    }
  });

  // Search and listings on a phone: the filters fold behind the "Filters (n)" button above the results.
  // Without JavaScript that button is a link to the filter list below the results.
  document.querySelectorAll("a.filters-toggle").forEach(function (toggle) {
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!panel) { return; }
    panel.classList.add("filters-folded");
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var open = panel.classList.toggle("filters-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { panel.scrollIntoView({block: "nearest"}); }
    });
  });

  // A failed form: its error summary takes the focus, so keyboard and screen-reader users start there.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // The listing form: only the chosen type's section (all four stay in the HTML for browsers without JS).
  var typeRadios = document.querySelectorAll("input[type=radio][name=type]");
  var sections = document.querySelectorAll("fieldset[data-for-type]");
  function showChosenType() {
    var chosen = document.querySelector("input[type=radio][name=type]:checked");
    sections.forEach(function (section) {
      section.hidden = !chosen || section.getAttribute("data-for-type") !== chosen.value;
    });
    document.querySelectorAll(".type-sections-note").forEach(function (note) { note.hidden = true; });
  }
  if (typeRadios.length && sections.length) {
    typeRadios.forEach(function (radio) { radio.addEventListener("change", showChosenType); });
    showChosenType();
  }
})();
