/*
 * The hosted chat page (channels/webchat). No inline script (strict CSP): everything is wired here.
 *
 * - The poll (#chat-poll) tells the server whether the tab is visible: replies shown in a visible tab are read.
 *   When the tab becomes visible again it polls at once.
 * - The form sends with htmx; on success it empties and the poll fetches the message at once (HX-Trigger
 *   chat-refresh); a refusal's text (too fast, too long, expired page) shows under the form, and when no answer
 *   came at all, the form's data-offline-error (rendered in the page's language).
 * - Enter sends, Shift+Enter starts a new line.
 * - New messages keep the conversation scrolled to the bottom.
 */
(function () {
  "use strict";

  function visible() {
    return document.visibilityState === "visible";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id === "chat-poll") {
      event.detail.parameters.visible = visible() ? "1" : "0";
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (visible() && window.htmx) {
      window.htmx.trigger(document.body, "chat-refresh");
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("[data-chat-form]")) {
      return;
    }
    var error = document.getElementById("chat-error");
    if (event.detail.successful) {
      form.reset();
      error.textContent = "";
      form.querySelector("textarea").focus();
    } else {
      var xhr = event.detail.xhr;
      error.textContent = xhr && xhr.status ? xhr.responseText : form.dataset.offlineError;
    }
  });

  document.addEventListener("keydown", function (event) {
    var text = event.target;
    if (text.id === "chat-text" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      text.form.requestSubmit();
    }
  });

  function toBottom() {
    var list = document.getElementById("chat-messages");
    if (list) {
      list.scrollTop = list.scrollHeight;
    }
  }

  document.addEventListener("htmx:oobAfterSwap", toBottom);
  document.addEventListener("DOMContentLoaded", toBottom);
})();
