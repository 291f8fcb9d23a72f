/*
 * BlockDesk web chat widget: put on a customer's site with
 *
 *   <script src="https://DESK/static/channels/widget.js" data-chat="https://DESK/chat/PUBLIC-ID/" defer></script>
 *
 * It adds a "Chat with us" button that opens the hosted chat page in an iframe (our page keeps its own strict
 * CSP; the channel's allowed origins decide which sites may frame it). A site that knows its signed-in user adds
 * data-user-id, data-user-name, data-user-email and data-user-hash (hex HMAC-SHA256 of the user id with the
 * channel's identity secret, computed on the site's server): the chat then joins that user's contact.
 *
 * The button and frame texts come from the chat's widget/ address in the visitor's language (their browser's
 * Accept-Language); data-label, if the site sets it, names the button instead. Should that fetch fail, the
 * texts stay English.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.dataset.chat) {
    return;
  }
  var data = script.dataset;

  function chatUrl() {
    var url = new URL(data.chat, script.src);
    if (data.userId) {
      url.searchParams.set("user_id", data.userId);
      url.searchParams.set("identifier_hash", data.userHash || "");
      url.searchParams.set("name", data.userName || "");
      url.searchParams.set("email", data.userEmail || "");
    }
    return url.toString();
  }

  function style(element, rules) {
    Object.keys(rules).forEach(function (name) {
      element.style[name] = rules[name];
    });
  }

  var texts = { open: "Chat with us", close: "Close chat", title: "Chat" };

  function openText() {
    return data.label || texts.open;
  }

  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-expanded", "false");
  style(button, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000", padding: "12px 18px",
    border: "0", borderRadius: "24px", background: "#1f4fd1", color: "#fff", font: "600 15px system-ui, sans-serif",
    cursor: "pointer", boxShadow: "0 4px 14px rgba(0,0,0,.25)",
  });

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = texts.title;
      frame.src = chatUrl();
      style(frame, {
        position: "fixed", right: "20px", bottom: "76px", zIndex: "2147483000", width: "360px",
        maxWidth: "calc(100vw - 40px)", height: "520px", maxHeight: "calc(100vh - 100px)", border: "1px solid #ccd",
        borderRadius: "12px", background: "#fff", boxShadow: "0 8px 28px rgba(0,0,0,.25)",
      });
      document.body.appendChild(frame);
    }
    frame.hidden = false;
    button.setAttribute("aria-expanded", "true");
    button.textContent = texts.close;
  }

  function close() {
    frame.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.textContent = openText();
  }

  button.addEventListener("click", function () {
    if (frame && !frame.hidden) {
      close();
    } else {
      open();
    }
  });

  function mount() {
    button.textContent = openText();
    document.body.appendChild(button);
  }

  function mountWhenReady() {
    if (document.body) {
      mount();
    } else {
      document.addEventListener("DOMContentLoaded", mount);
    }
  }

  fetch(new URL("widget/", new URL(data.chat, script.src)), { credentials: "omit" })
    .then(function (response) {
      return response.ok ? response.json() : {};
    })
    .then(function (given) {
      Object.keys(texts).forEach(function (name) {
        if (typeof given[name] === "string" && given[name]) {
          texts[name] = given[name];
        }
      });
    })
    .catch(function () {})
    .then(mountWhenReady);
})();
