/*
 * BlockDesk console behaviour. No inline scripts or handlers anywhere (strict CSP):
 * everything is wired here by event delegation, so content htmx swaps in works too.
 *
 * - The shared <dialog id="dialog"> opens (showModal) when htmx swaps content into it,
 *   and closes on Escape (native), a click on the backdrop, or any [data-dialog-close].
 *   Its content is cleared on close so the next open starts fresh.
 * - A 403/404 answer meant for the dialog is shown in it (htmx skips error responses by default).
 * - [data-dismiss] inside a .notice removes the notice.
 * - tr.row-link: a click anywhere in the row follows the row's first link (keyboard users use the link).
 * - [data-select-all="NAME"] (hidden until this script runs) ticks or clears every checkbox named NAME.
 */
(function () {
  "use strict";

  function dialog() {
    return document.getElementById("dialog");
  }

  function closeDialog() {
    var d = dialog();
    if (d && d.open) {
      d.close();
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr.status;
    if (target && target.id === "dialog" && (status === 403 || status === 404)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var d = dialog();
    if (d && event.detail.target === d && !d.open) {
      d.showModal();
      var focus = d.querySelector("[autofocus]") || d.querySelector(".dialog-close");
      if (focus) {
        focus.focus();
      }
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target === dialog()) {
      event.target.replaceChildren();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var d = dialog();
    // A click on the backdrop lands on the <dialog> element itself.
    if (d && event.target === d) {
      closeDialog();
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer && d && d.open && d.contains(closer)) {
      // Cancel links keep a real href for pages without JavaScript; in the dialog they just close it.
      event.preventDefault();
      closeDialog();
      return;
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var notice = dismiss.closest(".notice");
      if (notice) {
        notice.remove();
      }
      return;
    }
    var row = event.target.closest("tr.row-link");
    if (row && !event.target.closest("a, button, input, label, select, textarea")) {
      var link = row.querySelector("a[href]");
      if (link) {
        link.click();
      }
    }
  });
  function showSelectAll() {
    document.querySelectorAll("[data-select-all][hidden]").forEach(function (box) {
      box.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", showSelectAll);
  document.addEventListener("htmx:afterSettle", showSelectAll);

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) {
      return;
    }
    var name = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
