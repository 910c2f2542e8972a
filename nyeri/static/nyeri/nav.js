// The header's menus: <details> elements work without this script; it only closes the
// other menus when one opens, closes them on Escape or a click elsewhere, and opens the
// phone's single menu. Served by Nyeri itself (strict CSP: no inline script, no CDN).
(function () {
  "use strict";
  function menus() { return document.querySelectorAll(".topbar details.menu"); }
  function closeAll(except) {
    menus().forEach(function (d) { if (d !== except && !d.contains(except)) { d.open = false; } });
  }
  // A table wider than its box scrolls inside it: keyboard users reach it with Tab (WCAG 2.1.1).
  function focusableScrollers() {
    document.querySelectorAll("main table, main .scroll-x").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "0"); }
    });
  }
  window.addEventListener("resize", focusableScrollers);
  document.addEventListener("DOMContentLoaded", function () {
    focusableScrollers();
    menus().forEach(function (d) {
      d.addEventListener("toggle", function () { if (d.open) { closeAll(d); } });
    });
    var toggle = document.querySelector(".navtoggle");
    var nav = document.getElementById("mainnav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        nav.classList.toggle("open", open);
      });
    }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".topbar details.menu")) { closeAll(null); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeAll(null); }
  });
})();
