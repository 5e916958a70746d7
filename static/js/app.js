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
  // <button data-copy="id"> copies the value of the input with that id;
  // inputs marked data-select-on-focus select their text for copying by hand.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) { return; }
    var input = document.getElementById(btn.dataset.copy);
    if (!input) { return; }
    input.select();
    var done = function () { btn.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-select-on-focus]")) { e.target.select(); }
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
