/* Verso passkeys: WebAuthn registration and sign-in from data- attributes (CSP-safe: no inline code).
     <button data-passkey-register data-options-url=".." data-verify-url=".." data-name-input="#id" data-status="#id">
     <button data-passkey-login    data-options-url=".." data-verify-url=".." data-next=".." data-status="#id">
   The server answers options as WebAuthn JSON; the verify call gets {credential, name?, next?} and answers
   {redirect} or {error[, redirect]}. Elements marked data-passkey-supported stay hidden, and
   data-passkey-unsupported shown, unless this browser can use passkeys (progressive enhancement).
   Clicks are delegated from the document, so buttons swapped in by htmx work too. */
(function () {
  "use strict";
  var supported = !!(window.PublicKeyCredential && navigator.credentials && window.fetch);

  /* ---- base64url <-> ArrayBuffer ---- */
  function toBuffer(value) {
    var b64 = String(value).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }
  function fromBuffer(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /* ---- options JSON -> WebAuthn structures ---- */
  function descriptors(list) {
    return (list || []).map(function (c) { return { type: c.type, id: toBuffer(c.id), transports: c.transports }; });
  }
  function creationOptions(o) {
    o.challenge = toBuffer(o.challenge);
    o.user.id = toBuffer(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  }
  function requestOptions(o) {
    o.challenge = toBuffer(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  }

  /* ---- credential -> JSON for the server ---- */
  function credentialJSON(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: fromBuffer(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      response: { clientDataJSON: fromBuffer(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = fromBuffer(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = fromBuffer(r.authenticatorData);
      out.response.signature = fromBuffer(r.signature);
      out.response.userHandle = fromBuffer(r.userHandle);
    }
    return out;
  }

  /* ---- requests: JSON with the CSRF header taken from <body hx-headers...> ---- */
  function csrfHeaders() {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var body = document.body, attrs = body ? body.attributes : [];
    for (var i = 0; i < attrs.length; i++) {
      if (attrs[i].name.indexOf("hx-headers") !== 0) continue;
      try {
        var parsed = JSON.parse(attrs[i].value);
        if (parsed["x-csrftoken"]) headers["x-csrftoken"] = parsed["x-csrftoken"];
      } catch (e) { /* not JSON: no token */ }
    }
    return headers;
  }
  function postJSON(url, payload) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: csrfHeaders(), body: JSON.stringify(payload || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var err = new Error(data.error || "Something went wrong. Try again.");
          err.redirect = data.redirect;
          throw err;
        }
        return data;
      });
    });
  }

  function say(button, message) {
    var target = document.querySelector(button.getAttribute("data-status") || "");
    if (target) target.textContent = message || "";
  }
  function failure(button, err) {
    if (err && err.redirect) { window.location.assign(err.redirect); return; }
    var message = err && err.message;
    if (err && (err.name === "NotAllowedError" || err.name === "AbortError")) {
      message = "The passkey request was cancelled or timed out.";
    } else if (err && err.name === "InvalidStateError") {
      message = "This device already has a passkey for your account.";
    }
    say(button, message || "Something went wrong. Try again.");
  }

  function run(button, ceremony) {
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    say(button, "Waiting for your passkey…");
    ceremony()
      .then(function (data) {
        say(button, "Done.");
        window.location.assign(data.redirect || "/");
      })
      .catch(function (err) { failure(button, err); })
      .then(function () { button.removeAttribute("aria-busy"); button.disabled = false; });
  }

  function register(button) {
    var input = document.querySelector(button.getAttribute("data-name-input") || "");
    var name = input ? input.value.trim() : "";
    run(button, function () {
      return postJSON(button.getAttribute("data-options-url"))
        .then(function (options) { return navigator.credentials.create({ publicKey: creationOptions(options) }); })
        .then(function (cred) {
          return postJSON(button.getAttribute("data-verify-url"), { credential: credentialJSON(cred), name: name });
        });
    });
  }
  function signIn(button) {
    run(button, function () {
      return postJSON(button.getAttribute("data-options-url"))
        .then(function (options) { return navigator.credentials.get({ publicKey: requestOptions(options) }); })
        .then(function (cred) {
          return postJSON(button.getAttribute("data-verify-url"), {
            credential: credentialJSON(cred), next: button.getAttribute("data-next") || ""
          });
        });
    });
  }

  function reveal() {
    if (!supported) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-supported]"), function (el) { el.hidden = false; });
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-unsupported]"), function (el) { el.hidden = true; });
  }

  document.addEventListener("click", function (e) {
    if (!supported || !e.target.closest) return;
    var button = e.target.closest("[data-passkey-register], [data-passkey-login]");
    if (!button) return;
    e.preventDefault();
    if (button.hasAttribute("data-passkey-register")) register(button); else signIn(button);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal); else reveal();
  document.addEventListener("htmx:after:swap", reveal); // e.g. the login form re-rendered with errors
})();
