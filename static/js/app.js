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
  // Escape closes an open dropdown and puts the focus back on its toggle.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      d.removeAttribute("open");
      var s = d.querySelector("summary");
      if (s && d.contains(document.activeElement)) { s.focus(); }
    });
  });
  // A closed dialog gives the focus back to what opened it (or, for a
  // dialog htmx opened, to the control that asked for it).
  var lastFocus = null, lastFocusID = "";
  document.addEventListener("focusin", function (e) {
    if (!e.target.closest || !e.target.closest("dialog")) { lastFocus = e.target; lastFocusID = e.target.id || ""; }
  });
  document.addEventListener("close", function (e) {
    if (e.target.tagName !== "DIALOG") { return; }
    // htmx may have replaced the control meanwhile: find it again by id.
    var back = lastFocus && lastFocus.isConnected ? lastFocus : (lastFocusID && document.getElementById(lastFocusID));
    if (!back && e.target.id) { back = document.querySelector('[data-dialog="' + e.target.id + '"]'); }
    if (back) { back.focus(); }
  }, true);
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
  // Feedback where the user looks. The flash area sits at the top of the
  // page; when an htmx answer fills it while it is scrolled out of view, it
  // is shown as a fixed toast instead (the area is an aria-live region, so
  // the message is announced either way).
  function placeFlashes() {
    var area = document.getElementById("flashes");
    if (!area) { return; }
    area.classList.remove("flashes-toast");
    var close = area.querySelector(".flash-close");
    if (close) { close.remove(); }
    if (!area.querySelector(".flash")) { return; }
    var r = area.getBoundingClientRect();
    if (r.top >= 0 && r.bottom <= window.innerHeight) { return; }
    area.classList.add("flashes-toast");
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "flash-close";
    btn.setAttribute("aria-label", "Dismiss");
    btn.textContent = "×";
    area.appendChild(btn);
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest(".flash-close")) {
      var area = document.getElementById("flashes");
      area.classList.remove("flashes-toast");
      area.innerHTML = "";
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "flashes") { placeFlashes(); }
  });
  // htmx swaps nothing for error answers; their flash still belongs in the
  // flash area rather than nowhere.
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr, area = document.getElementById("flashes");
    if (!xhr || !area) { return; }
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var got = doc.getElementById("flashes");
    area.innerHTML = got ? got.innerHTML : "";
    if (!got || !area.querySelector(".flash")) {
      var div = document.createElement("div");
      div.className = "flash flash-alert";
      div.setAttribute("role", "status");
      div.dataset.testid = "flash-alert";
      div.textContent = "The request failed (HTTP " + xhr.status + "). Reload the page and try again.";
      area.innerHTML = "";
      area.appendChild(div);
    }
    placeFlashes();
  });
  document.addEventListener("htmx:sendError", function () {
    var area = document.getElementById("flashes");
    if (!area) { return; }
    area.innerHTML = '<div class="flash flash-alert" role="status" data-testid="flash-alert">Hooklab could not be reached. Check your connection and try again.</div>';
    placeFlashes();
  });

  // While an htmx request runs, the element that sent it is marked busy
  // and its buttons are disabled, so a slow answer shows and a second click
  // does not send the request twice. (The values were gathered before this
  // event, so disabling does not drop the clicked button's value.)
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.querySelectorAll) { return; }
    var busy = elt.closest("[data-busy-scope]") || elt;
    busy.setAttribute("aria-busy", "true");
    busy.classList.add("is-busy");
    var buttons = elt.tagName === "BUTTON" ? [elt] : Array.prototype.slice.call(elt.querySelectorAll("button:not([disabled])"));
    if (elt.tagName === "FORM" && busy !== elt) {
      buttons = buttons.concat(Array.prototype.slice.call(busy.querySelectorAll("summary")));
    }
    buttons.forEach(function (b) {
      if (b.tagName === "SUMMARY") { b.setAttribute("aria-disabled", "true"); } else { b.disabled = true; }
    });
    elt.__busy = { scope: busy, buttons: buttons };
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt, st = elt && elt.__busy;
    if (!st) { return; }
    delete elt.__busy;
    st.scope.removeAttribute("aria-busy");
    st.scope.classList.remove("is-busy");
    st.buttons.forEach(function (b) {
      if (b.tagName === "SUMMARY") { b.removeAttribute("aria-disabled"); } else { b.disabled = false; }
    });
  });

  // A form answered 422 shows its errors: bring the first one into view
  // and put the cursor in its field (or on the error summary).
  document.addEventListener("htmx:afterSettle", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || xhr.status !== 422) { return; }
    var root = e.detail.target && e.detail.target.isConnected ? e.detail.target : document;
    var err = root.querySelector(".field-error") || root.querySelector("[data-error-summary], .flash-alert[role=alert]");
    if (!err) { return; }
    var box = err.closest(".field, .row-field, fieldset") || err.parentElement;
    var field = box && box.querySelector("input:not([type=hidden]), select, textarea");
    var target = field || err.closest("[tabindex]") || err;
    if (!field && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    (field ? box : target).scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  });
})();
