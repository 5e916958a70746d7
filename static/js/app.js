// Hooklab's own script: wires htmx to the CSRF token and keeps forms usable
// without JavaScript (every hx-* element also works as a plain link or form).
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { e.detail.headers["X-CSRF-Token"] = meta.content; }
  });
  // Close an open dropdown after one of its items was chosen.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(e.target) || e.target.closest(".menu button, .menu a")) { d.removeAttribute("open"); }
    });
  });
  // <button data-dialog="id"> opens a <dialog>; [data-close-dialog] closes it.
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-dialog]");
    if (opener) { var d = document.getElementById(opener.dataset.dialog); if (d) { e.preventDefault(); d.showModal(); } }
    var closer = e.target.closest("[data-close-dialog]");
    if (closer) { var dl = closer.closest("dialog"); if (dl) { e.preventDefault(); dl.close(); } }
  });
  // A <dialog data-show-on-load> arriving in an htmx swap opens at once
  // (e.g. the events of a notification level just set to "Custom").
  document.addEventListener("htmx:load", function (e) {
    var root = e.detail.elt;
    if (!root || !root.querySelectorAll) { return; }
    var list = Array.prototype.slice.call(root.querySelectorAll("dialog[data-show-on-load]"));
    if (root.matches("dialog[data-show-on-load]")) { list.push(root); }
    list.forEach(function (d) { if (!d.open) { d.showModal(); } });
  });
})();
