/* Verso: small progressive enhancements on top of server-rendered HTML and htmx 4.
   CSP-safe: no eval, no inline handlers; behaviour comes from data- attributes, and every feature has
   a no-JavaScript fallback in the templates. Loaded in <head> WITHOUT defer so the theme and the "js"
   class are set before the first paint; everything that needs the DOM waits for DOMContentLoaded. */
(function () {
  "use strict";
  var root = document.documentElement;
  var THEME_KEY = "verso-theme", TOAST_MS = 5000;
  var LEVELS = { success: "success", info: "info", warning: "warning", error: "danger" };
  function $$(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  /* ---- Theme: data-theme="light|dark" on <html>, remembered in localStorage ---- */
  function store(value) {
    try { return value ? localStorage.setItem(THEME_KEY, value) : localStorage.getItem(THEME_KEY); }
    catch (e) { return null; } // storage blocked: the choice lasts for this page
  }
  var saved = store();
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);
  root.classList.replace("no-js", "js") || root.classList.add("js");
  var darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  function isDark() {
    var theme = root.getAttribute("data-theme");
    return theme ? theme === "dark" : darkQuery.matches;
  }
  function syncThemeToggles() {
    $$("[data-theme-toggle]").forEach(function (b) { b.setAttribute("aria-pressed", String(isDark())); });
  }
  var screenTheme = null; // print on white whatever the screen theme
  window.addEventListener("beforeprint", function () { screenTheme = root.getAttribute("data-theme"); root.setAttribute("data-theme", "light"); });
  window.addEventListener("afterprint", function () {
    if (screenTheme) root.setAttribute("data-theme", screenTheme); else root.removeAttribute("data-theme");
  });

  /* ---- Toasts: from HX-Trigger {"toast": {"message": "...", "level": "success"}}, OOB swaps or the server ---- */
  function dismissToast(toast) {
    clearTimeout(toast._vTimer);
    toast.classList.add("toast-leaving");
    setTimeout(function () { toast.remove(); }, 200);
  }
  function startTimer(toast) {
    clearTimeout(toast._vTimer);
    toast._vTimer = setTimeout(function () { dismissToast(toast); }, TOAST_MS);
  }
  function armToasts() { // errors stay until dismissed; others go after TOAST_MS, paused on hover/focus
    $$("#toasts .toast").forEach(function (toast) {
      if (toast._vArmed || toast.getAttribute("data-level") === "error") return;
      toast._vArmed = true;
      startTimer(toast);
      toast.addEventListener("mouseenter", function () { clearTimeout(toast._vTimer); });
      toast.addEventListener("focusin", function () { clearTimeout(toast._vTimer); });
      toast.addEventListener("mouseleave", function () { if (!toast.contains(document.activeElement)) startTimer(toast); });
      toast.addEventListener("focusout", function (e) { if (!toast.contains(e.relatedTarget)) startTimer(toast); });
    });
  }
  function showToast(message, level) {
    var box = document.getElementById("toasts"), template = document.getElementById("toast-template");
    if (!box || !template || !message) return;
    if (!LEVELS[level]) level = "info";
    var toast = template.content.firstElementChild.cloneNode(true);
    toast.className = "toast tone-" + LEVELS[level];
    toast.setAttribute("data-level", level);
    if (level === "error") toast.setAttribute("role", "alert");
    toast.querySelector("[data-toast-level]").textContent = level.charAt(0).toUpperCase() + level.slice(1) + ": ";
    toast.querySelector("[data-toast-text]").textContent = String(message);
    box.appendChild(toast);
    while (box.children.length > 5) box.firstElementChild.remove();
    armToasts();
  }
  // htmx 4 dispatches each HX-Trigger key as a bubbling event on the requesting element (on document if
  // that element was swapped away); detail is the key's value, or {value: "..."} for a plain string.
  document.addEventListener("toast", function (e) {
    [].concat(e.detail || []).forEach(function (t) {
      if (typeof t === "string") showToast(t, "info"); else showToast(t.message || t.value, t.level);
    });
  });

  /* ---- Dialogs: data-dialog-open="ID" opens, data-dialog-close closes, focus returns to the opener ---- */
  var openers = new WeakMap(), pressedOn = null;
  function openDialog(dialog, opener) {
    if (!dialog || typeof dialog.showModal !== "function" || dialog.open) return false;
    openers.set(dialog, opener || document.activeElement);
    dialog.showModal();
    return true;
  }
  document.addEventListener("close", function (e) { // "close" does not bubble: capture it
    var opener = openers.get(e.target);
    openers.delete(e.target);
    if (opener && opener.isConnected && opener.focus) opener.focus();
  }, true);
  document.addEventListener("pointerdown", function (e) { pressedOn = e.target; });

  /* ---- Confirm: <form data-confirm="..."> or <button data-confirm="...">, in the shared #confirm-dialog ---- */
  var confirmed = new WeakSet();
  function askConfirm(source, message, onYes, onNo) {
    var dialog = document.getElementById("confirm-dialog");
    onNo = onNo || function () {};
    if (!dialog || typeof dialog.showModal !== "function") return window.confirm(message) ? onYes() : onNo();
    var ok = dialog.querySelector("[data-confirm-ok]");
    dialog.querySelector("[data-confirm-message]").textContent = message;
    ok.textContent = (source && source.getAttribute("data-confirm-label")) || "Confirm";
    ok.className = "btn-" + ((source && source.getAttribute("data-confirm-tone")) || "danger");
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "confirm") onYes(); else onNo();
    }, { once: true });
    openDialog(dialog, document.activeElement);
  }
  // Capture phase on document: runs before htmx's listeners on the form/button, so nothing is sent
  // until the person confirms; then the same submit/click is replayed with a one-shot pass.
  document.addEventListener("submit", function (e) {
    var form = e.target, submitter = e.submitter;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var message = source.getAttribute("data-confirm");
    if (!message || confirmed.has(form)) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    askConfirm(source, message, function () {
      confirmed.add(form);
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
      confirmed.delete(form);
    });
  }, true);
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("[data-confirm]:not(form)");
    if (!el || confirmed.has(el) || (el.form && el.type === "submit")) return; // submit buttons: above
    e.preventDefault();
    e.stopImmediatePropagation();
    askConfirm(el, el.getAttribute("data-confirm"), function () {
      confirmed.add(el);
      el.click();
      confirmed.delete(el);
    });
  }, true);
  document.addEventListener("htmx:confirm", function (e) { // hx-confirm="..." uses the same dialog
    var ctx = e.detail.ctx;
    if (!ctx || !ctx.confirm || /^(js|javascript):/.test(ctx.confirm)) return;
    e.preventDefault();
    askConfirm(ctx.sourceElement, ctx.confirm, e.detail.issueRequest, e.detail.dropRequest);
  });

  /* ---- Clicks: dialogs, toasts, theme, back links, dropdown menus ---- */
  document.addEventListener("click", function (e) {
    var t = e.target, el;
    if (!t || !t.closest) return;
    if ((el = t.closest("[data-dialog-open]"))) {
      if (openDialog(document.getElementById(el.getAttribute("data-dialog-open")), el)) e.preventDefault();
    } else if ((el = t.closest("[data-dialog-close]")) && el.closest("dialog")) {
      e.preventDefault();
      el.closest("dialog").close();
    } else if (t.tagName === "DIALOG" && t.open && pressedOn === t) { // click on the backdrop
      t.close();
    } else if ((el = t.closest("[data-toast-close]"))) {
      dismissToast(el.closest(".toast"));
    } else if (t.closest("[data-theme-toggle]")) {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      store(next);
      syncThemeToggles();
    } else if (t.closest("[data-history-back]")) {
      if (window.history.length > 1) window.history.back(); else window.location.href = "/";
    }
    $$("details.dropdown[open]").forEach(function (menu) { if (!menu.contains(t)) menu.open = false; });
  });
  document.addEventListener("keydown", function (e) {
    var menu = e.key === "Escape" && e.target.closest && e.target.closest("details.dropdown[open]");
    if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
  });

  /* ---- Sidebar <details>: open on wide screens (CSS hides its summary there), a menu on phones ---- */
  var wide = window.matchMedia("(min-width: 64em)");
  function syncSidebar(all) { // new sidebars (page load, history restore) or all (screen resized)
    $$("details[data-sidebar]").forEach(function (d) {
      if (!d._vSynced || all) d.open = wide.matches;
      d._vSynced = true;
    });
  }
  wide.addEventListener("change", function () { syncSidebar(true); });
  darkQuery.addEventListener("change", syncThemeToggles);

  /* ---- htmx: short filter URLs, then after swaps arm toasts, announce results, keep focus on the page ---- */
  document.addEventListener("htmx:config:request", function (e) {
    var req = e.detail.ctx.request, src = e.detail.ctx.sourceElement;
    if (req.method !== "GET" || !(req.body instanceof FormData) || !src.matches("form[data-omit-empty]")) return;
    Array.from(req.body.keys()).forEach(function (k) { if (req.body.get(k) === "") req.body.delete(k); });
  });
  document.addEventListener("htmx:before:swap", function (e) {
    var ctx = e.detail.ctx, active = document.activeElement;
    ctx.vHadFocus = !!(ctx.target && ctx.target.contains && active && active !== document.body && ctx.target.contains(active));
  });
  document.addEventListener("htmx:after:swap", function (e) {
    var el = e.target, live = document.getElementById("live-announcer");
    armToasts();
    syncSidebar(false);
    syncThemeToggles();
    if (!(e.detail.ctx || {}).vHadFocus || !(el instanceof HTMLElement) || !el.isConnected) return;
    var news = el.querySelector("[data-announce]");
    if (news && live) {
      live.textContent = "";
      setTimeout(function () { live.textContent = news.textContent.trim(); }, 50);
    }
    if (!document.activeElement || document.activeElement === document.body) { // focused control swapped away
      if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
      el.focus({ preventScroll: true });
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    armToasts();
    syncSidebar(false);
    syncThemeToggles();
  });
})();
