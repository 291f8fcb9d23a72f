/*
 * Text that follows a checkbox. No inline scripts (strict CSP), so it is wired here.
 *
 * An element with data-checked-for="ID" shows only while the checkbox #ID is ticked, one with
 * data-unchecked-for="ID" only while it is not. Without JavaScript the server's rendering stands
 * (both outcomes of the block form, labelled; the saved On/Off of a setting).
 */
(function () {
  "use strict";

  function follow(root) {
    root.querySelectorAll("[data-checked-for], [data-unchecked-for]").forEach(function (element) {
      var whenChecked = element.hasAttribute("data-checked-for");
      var box = document.getElementById(element.getAttribute(whenChecked ? "data-checked-for" : "data-unchecked-for"));
      if (box) {
        element.hidden = box.checked !== whenChecked;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    follow(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    follow(event.detail.elt || document);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches('input[type="checkbox"][id]')) {
      follow(document);
    }
  });
})();
