/*
 * BlockDesk keyboard shortcuts (loaded from base.html; strict CSP, so wired here by event delegation).
 *
 * - j / k move the focus down / up the rows of a list marked [data-keyboard-list] (rows: tr.row-link); the
 *   focus sits on the row's first link, so Enter opens it natively, and o does the same. The row with the focus is
 *   highlighted by CSS (:focus-within), and htmx's live refresh keeps the focus because those links have ids.
 * - r focuses the reply box ([data-keyboard-reply] textarea); Ctrl+Enter or Cmd+Enter in a textarea of a form
 *   marked [data-keyboard-send] (the reply, the note) sends it with its one submit button. Other forms (a block's
 *   note, say) wait for a click: a key combination there should not block anyone.
 * - Any element marked [data-shortcut="KEY"] is focused and clicked by KEY: e (Resolve), b (Block the contact).
 *   While a dialog is open, only the dialog's own shortcuts count.
 * - ? opens the help overlay (<dialog id="keyboard-help">); Esc (native) or its close button closes it.
 * - Single keys never act while typing in an input, textarea, select or editable text, nor with Ctrl, Alt or Cmd.
 * - Dialogs give the focus back to the element that opened them when they close (the shared #dialog: the element
 *   whose htmx request first filled it, even if the dialog then moved on to another step).
 */
(function () {
  "use strict";

  function openModal() {
    return document.querySelector("dialog[open]");
  }

  function isTyping(target) {
    if (!target || !target.closest) {
      return false;
    }
    // A ticked checkbox or a pressed button takes no text: the keys still work there.
    var field = target.closest('input:not([type="checkbox"]):not([type="radio"]):not([type="button"]):not([type="submit"]), textarea, select');
    return Boolean(field || target.isContentEditable);
  }

  function visible(element) {
    return element.getClientRects().length > 0;
  }

  // --- lists ------------------------------------------------------------------------------------------------

  function rows() {
    var list = Array.prototype.find.call(document.querySelectorAll("[data-keyboard-list]"), visible);
    return list ? Array.prototype.filter.call(list.querySelectorAll("tr.row-link"), visible) : [];
  }

  function rowLink(row) {
    return row.querySelector("a.row-title[href]") || row.querySelector("a[href]");
  }

  function currentRow(all) {
    var focused = document.activeElement;
    return all.findIndex(function (row) {
      return row.contains(focused);
    });
  }

  function move(step) {
    var all = rows();
    if (!all.length) {
      return false;
    }
    var index = currentRow(all);
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    var link = rowLink(all[next]);
    if (!link) {
      return false;
    }
    link.focus();
    all[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openCurrent() {
    var all = rows();
    var index = currentRow(all);
    var link = index === -1 ? null : rowLink(all[index]);
    if (link) {
      link.click();
    }
    return Boolean(link);
  }

  // --- the ticket page and marked buttons --------------------------------------------------------------------

  function focusReply() {
    var box = document.querySelector("[data-keyboard-reply] textarea");
    if (!box || !visible(box)) {
      return false;
    }
    box.focus();
    return true;
  }

  function sendForm(textarea) {
    var form = textarea.form;
    if (!form || !form.matches("[data-keyboard-send]")) {
      return false;
    }
    var buttons = form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]');
    if (buttons.length !== 1 || buttons[0].disabled) {
      return false;
    }
    form.requestSubmit(buttons[0]);
    return true;
  }

  function press(key) {
    var root = openModal() || document;
    var target = Array.prototype.find.call(root.querySelectorAll('[data-shortcut="' + key + '"]'), visible);
    if (!target) {
      return false;
    }
    // Content htmx has only just swapped in may not be wired yet: wire it now (htmx skips what it already
    // did), so the click opens its step in the dialog instead of following the link as a whole page.
    if (window.htmx) {
      window.htmx.process(target);
    }
    // Focus first: a dialog it opens gives the focus back here when it closes.
    target.focus();
    target.click();
    return true;
  }

  // --- the help overlay --------------------------------------------------------------------------------------

  var helpOpener = null;

  function help() {
    return document.getElementById("keyboard-help");
  }

  function openHelp() {
    var overlay = help();
    if (!overlay || overlay.open) {
      return false;
    }
    helpOpener = document.activeElement;
    overlay.showModal();
    var close = overlay.querySelector("[data-keyboard-help-close]");
    if (close) {
      close.focus();
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var overlay = help();
    if (!overlay || !overlay.open) {
      return;
    }
    // A click on the backdrop lands on the <dialog> element itself.
    if (event.target === overlay || event.target.closest("[data-keyboard-help-close]")) {
      overlay.close();
    }
  });

  // --- focus goes back to whoever opened a dialog ------------------------------------------------------------

  var dialogOpener = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var shared = document.getElementById("dialog");
    if (!shared || event.detail.target !== shared || shared.open) {
      return;
    }
    var elt = event.detail.elt;
    dialogOpener = elt && typeof elt.focus === "function" ? elt : document.activeElement;
  });

  document.addEventListener("close", function (event) {
    var opener = null;
    if (event.target.id === "dialog") {
      opener = dialogOpener;
      dialogOpener = null;
    } else if (event.target === help()) {
      opener = helpOpener;
      helpOpener = null;
    }
    if (opener && opener !== document.body && document.contains(opener)) {
      opener.focus();
    }
  }, true);

  // --- the keys ----------------------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) {
      return;
    }
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.matches && target.matches("textarea")) {
      if (sendForm(target)) {
        event.preventDefault();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(target)) {
      return;
    }
    var modal = openModal();
    var done = false;
    switch (event.key) {
      case "?":
        done = !modal && openHelp();
        break;
      case "j":
        done = !modal && move(1);
        break;
      case "k":
        done = !modal && move(-1);
        break;
      case "o":
        done = !modal && openCurrent();
        break;
      case "r":
        done = !modal && focusReply();
        break;
      case "e":
      case "b":
        done = press(event.key);
        break;
    }
    if (done) {
      event.preventDefault();
    }
  });
})();
