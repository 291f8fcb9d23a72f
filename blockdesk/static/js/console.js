/*
 * BlockDesk console behaviour. No inline scripts or handlers anywhere (strict CSP):
 * everything is wired here by event delegation, so content htmx swaps in works too.
 *
 * - The shared <dialog id="dialog"> opens (showModal) when htmx swaps content into it,
 *   and closes on Escape (native), a click on the backdrop, or any [data-dialog-close]. Opening it and each next
 *   step swapped into it move the focus inside it.
 *   Its content is cleared on close so the next open starts fresh.
 * - A 403/404 answer meant for the dialog is shown in it (htmx skips error responses by default).
 * - [data-dismiss] inside a .notice removes the notice.
 * - tr.row-link: a click anywhere in the row follows the row's first link (keyboard users use the link).
 * - [data-select-all="NAME"] (hidden until this script runs) ticks or clears every checkbox named NAME.
 * - The main menu: on phones the navigation folds behind a Menu button (shown once this script runs; without
 *   JavaScript the links simply stay in the top bar). Escape closes it and gives focus back to the button.
 * - Live queue rows ([data-live-rows], polled by htmx with the tabs out of band): a refresh never moves focus.
 *   htmx itself gives focus back to the element with the same id after a swap, so every control there has an id;
 *   when the focused control has none, is a select (its unsent choice would be lost), or is gone from the new
 *   rows, this refresh is skipped. While any ticket is ticked the refresh pauses, so a row never moves under a
 *   finger about to tick the next one, and #live-paused says so.
 * - The ticket timeline: new messages append below; if it was scrolled to the bottom it stays there.
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

  // Opening the dialog, and each next step swapped into it (the 360 view's Block form, the unblock choice), puts
  // the focus inside it: the swap removed what had the focus, which would leave it on the page behind.
  document.addEventListener("htmx:afterSwap", function (event) {
    var d = dialog();
    if (d && event.detail.target === d) {
      if (!d.open) {
        d.showModal();
      }
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

  // --- the main menu on phones ---------------------------------------------------------------------------

  function menuButton() {
    return document.querySelector("[data-menu-button]");
  }

  function setMenu(open) {
    var button = menuButton();
    if (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.closest(".topbar").classList.toggle("menu-open", open);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = menuButton();
    if (button) {
      button.hidden = false;
      button.closest(".topbar").classList.add("menu-ready");
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-button]");
    if (button) {
      setMenu(button.getAttribute("aria-expanded") !== "true");
    }
  });

  document.addEventListener("keydown", function (event) {
    var button = menuButton();
    if (event.key === "Escape" && button && button.getAttribute("aria-expanded") === "true") {
      setMenu(false);
      button.focus();
    }
  });

  // --- live queue rows -----------------------------------------------------------------------------------

  function ticketsTicked() {
    return document.querySelector('input[type="checkbox"][name="ticket"]:checked') !== null;
  }

  function showPaused() {
    var note = document.getElementById("live-paused");
    if (note) {
      note.hidden = !ticketsTicked();
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches('input[type="checkbox"][name="ticket"], [data-select-all]')) {
      showPaused();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.matches("[data-live-rows]") && ticketsTicked()) {
      event.preventDefault();
    }
  });

  function focusSurvives(focused, html) {
    if (!focused.id || focused.matches("select, textarea, input:not([type=checkbox])")) {
      return false;
    }
    return html.indexOf('id="' + focused.id + '"') !== -1;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var rows = event.detail.target;
    if (!rows.matches || !rows.matches("[data-live-rows]")) {
      return;
    }
    var focused = document.activeElement;
    var tabs = document.getElementById("queue-tabs");
    var inside = focused && (rows.contains(focused) || (tabs && tabs.contains(focused)));
    if (ticketsTicked() || (inside && !focusSurvives(focused, event.detail.serverResponse))) {
      event.detail.shouldSwap = false;
    }
  });

  // --- the ticket timeline -------------------------------------------------------------------------------

  var timelineAtBottom = false;

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id === "timeline-poll") {
      var timeline = document.getElementById("timeline");
      timelineAtBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 8;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var timeline = document.getElementById("timeline");
    if (timelineAtBottom && timeline && timeline.contains(event.detail.elt)) {
      timeline.scrollTop = timeline.scrollHeight;
      timelineAtBottom = false;
    }
  });
})();
