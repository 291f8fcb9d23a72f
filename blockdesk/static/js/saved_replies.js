/*
 * Saved replies beside the reply box. No inline scripts (strict CSP), so it is wired here.
 *
 * The search results (tickets/_saved_reply_results.html) are buttons with data-insert-reply="TEXTAREA-ID"
 * and the filled text in data-text; a click puts the text into the reply box at the cursor and focuses it.
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-reply]");
    if (!button) {
      return;
    }
    event.preventDefault();
    var box = document.getElementById(button.getAttribute("data-insert-reply"));
    if (!box) {
      return;
    }
    var text = button.getAttribute("data-text");
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
  });
})();
