/* Verso: small progressive enhancements on top of server-rendered HTML and htmx 4.
   CSP-safe: no eval, no inline handlers; behaviour comes from data- attributes. Every feature has a
   no-JavaScript fallback in the templates. Loaded in <head> without defer so the theme is set before
   the first paint; everything that needs the DOM waits for DOMContentLoaded. */
(function () {
  "use strict";
  var root = document.documentElement;
  var THEME_KEY = "verso-theme";
  var TOAST_MS = 5000;

  /* ---- Theme: data-theme="light|dark" on <html>, remembered in localStorage ---- */
  function stored(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      localStorage.setItem(key, value);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
    return null;
  }
  var saved = stored(THEME_KEY);
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);
  root.classList.remove("no-js");
  root.classList.add("js");

  var darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
  function isDark() {
    var theme = root.getAttribute("data-theme");
    return theme ? theme === "dark" : darkQuery.matches;
  }
  function syncThemeToggles() {
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(isDark()));
    });
  }

  /* ---- Toasts: HX-Trigger {"toast": {"message": "...", "level": "success"}} or server-rendered ---- */
  var LEVELS = { success: "success", info: "info", warning: "warning", error: "danger" };

  function dismissToast(toast) {
    clearTimeout(toast._vTimer);
    toast.classList.add("toast-leaving");
    setTimeout(function () { toast.remove(); }, 200);
  }
  function startTimer(toast) {
    clearTimeout(toast._vTimer);
    toast._vTimer = setTimeout(function () { dismissToast(toast); }, TOAST_MS);
  }
  function armToast(toast) {
    if (toast._vArmed) return;
    toast._vArmed = true;
    if (toast.getAttribute("data-level") === "error") return; // errors stay until dismissed
    startTimer(toast);
    // Pause while the pointer or keyboard focus is on it (WCAG 2.2.1).
    toast.addEventListener("mouseenter", function () { clearTimeout(toast._vTimer); });
    toast.addEventListener("focusin", function () { clearTimeout(toast._vTimer); });
    toast.addEventListener("mouseleave", function () { if (!toast.contains(document.activeElement)) startTimer(toast); });
    toast.addEventListener("focusout", function (e) { if (!toast.contains(e.relatedTarget)) startTimer(toast); });
  }
  function armToasts() {
    document.querySelectorAll("#toasts .toast").forEach(armToast);
  }
  function showToast(message, level) {
    var box = document.getElementById("toasts");
    var template = document.getElementById("toast-template");
    if (!box || !template || !message) return;
    if (!LEVELS[level]) level = "info";
    var toast = template.content.firstElementChild.cloneNode(true);
    toast.className = "toast tone-" + LEVELS[level];
    toast.setAttribute("data-level", level);
    if (level === "error") toast.setAttribute("role", "alert");
    toast.querySelector("[data-toast-level]").textContent = level.charAt(0).toUpperCase() + level.slice(1) + ": ";
    toast.querySelector("[data-toast-text]").textContent = String(message);
    box.appendChild(toast);
    while (box.children.length > 5) dismissToast(box.firstElementChild);
    armToast(toast);
  }
  // htmx 4 dispatches each HX-Trigger key as a bubbling event on the requesting element (or on document
  // if it was swapped away): detail is the header's value, or {value: "..."} for a plain string.
  document.addEventListener("toast", function (e) {
    var items = Array.isArray(e.detail) ? e.detail : [e.detail || {}];
    items.forEach(function (item) {
      if (typeof item === "string") showToast(item, "info");
      else if (item) showToast(item.message || item.value, item.level);
    });
  });

  /* ---- Dialogs: data-dialog-open="ID" opens, data-dialog-close closes, focus returns to the opener ---- */
  var openers = new WeakMap();
  function openDialog(dialog, opener) {
    if (!dialog || typeof dialog.showModal !== "function" || dialog.open) return false;
    openers.set(dialog, opener || document.activeElement);
    dialog.showModal();
    return true;
  }
  document.addEventListener("close", function (e) { // "close" does not bubble: listen in capture
    var opener = openers.get(e.target);
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
    openers.delete(e.target);
  }, true);
  var pressedOn = null; // close a modal on a click on its backdrop (press and release outside the box)
  document.addEventListener("pointerdown", function (e) { pressedOn = e.target; });

  /* ---- Confirm: <form data-confirm="..."> or a button with data-confirm, via the shared dialog ---- */
  var confirmed = new WeakSet();
  function askConfirm(source, message, onYes, onNo) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(message)) onYes(); else if (onNo) onNo();
      return;
    }
    dialog.querySelector("[data-confirm-message]").textContent = message;
    var ok = dialog.querySelector("[data-confirm-ok]");
    ok.textContent = (source && source.getAttribute("data-confirm-label")) || "Confirm";
    ok.className = "btn-" + ((source && source.getAttribute("data-confirm-tone")) || "danger");
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "confirm") onYes(); else if (onNo) onNo();
    }, { once: true });
    openDialog(dialog, document.activeElement);
  }
  // Capture phase on document runs before htmx's own submit/click listeners on the element.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var submitter = e.submitter;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var message = source.getAttribute && source.getAttribute("data-confirm");
    if (!message || confirmed.has(form)) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    askConfirm(source, message, function () {
      confirmed.add(form);
      setTimeout(function () { confirmed.delete(form); }, 0);
      if (typeof form.requestSubmit === "function") form.requestSubmit(submitter || undefined);
      else form.submit();
    });
  }, true);
  document.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("[data-confirm]:not(form)");
    if (!el || confirmed.has(el)) return;
    if (el.form && (el.type === "submit" || el.type === "image")) return; // handled on submit
    e.preventDefault();
    e.stopImmediatePropagation();
    askConfirm(el, el.getAttribute("data-confirm"), function () {
      confirmed.add(el);
      el.click();
      confirmed.delete(el);
    });
  }, true);
  // hx-confirm="..." uses the same dialog instead of window.confirm().
  document.addEventListener("htmx:confirm", function (e) {
    var ctx = e.detail.ctx;
    if (!ctx || !ctx.confirm || /^(js|javascript):/.test(ctx.confirm)) return;
    e.preventDefault();
    askConfirm(ctx.sourceElement, ctx.confirm, e.detail.issueRequest, e.detail.dropRequest);
  });

  /* ---- Clicks: dialogs, toasts, theme, history back, dropdowns ---- */
  document.addEventListener("click", function (e) {
    var t = e.target;
    var el;
    if (!t || !t.closest) return;
    if ((el = t.closest("[data-dialog-open]"))) {
      if (openDialog(document.getElementById(el.getAttribute("data-dialog-open")), el)) e.preventDefault();
    } else if ((el = t.closest("[data-dialog-close]")) && el.closest("dialog")) {
      e.preventDefault();
      el.closest("dialog").close();
    } else if (t.tagName === "DIALOG" && t.open && pressedOn === t) {
      t.close();
    } else if ((el = t.closest("[data-toast-close]"))) {
      dismissToast(el.closest(".toast"));
    } else if (t.closest("[data-theme-toggle]")) {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      stored(THEME_KEY, next);
      syncThemeToggles();
    } else if (t.closest("[data-history-back]")) {
      if (window.history.length > 1) window.history.back(); else window.location.href = "/";
    }
    document.querySelectorAll("details.dropdown[open]").forEach(function (menu) {
      if (!menu.contains(t)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var menu = e.target.closest && e.target.closest("details.dropdown[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  /* ---- Sidebar: always open on wide screens (CSS hides its summary there) ---- */
  var wide = window.matchMedia("(min-width: 64em)");
  function syncSidebar(all) { // new sidebars (page load, history restore) or all (screen resized)
    document.querySelectorAll("details[data-sidebar]").forEach(function (details) {
      if (details._vSynced && !all) return;
      details._vSynced = true;
      details.open = wide.matches;
    });
  }
  wide.addEventListener("change", function () { syncSidebar(true); });
  darkQuery.addEventListener("change", syncThemeToggles);

  /* ---- After htmx swaps: arm new toasts, announce results, keep keyboard focus on the page ---- */
  function announce(container) {
    var source = container && container.querySelector && container.querySelector("[data-announce]");
    var live = document.getElementById("live-announcer");
    if (source && live) {
      live.textContent = "";
      setTimeout(function () { live.textContent = source.textContent.trim(); }, 50);
    }
  }
  document.addEventListener("htmx:before:swap", function (e) {
    var ctx = e.detail.ctx;
    var active = document.activeElement;
    if (ctx && ctx.target && ctx.target.contains && active && active !== document.body) {
      ctx.vHadFocus = ctx.target.contains(active);
    }
  });
  document.addEventListener("htmx:after:swap", function (e) {
    var ctx = e.detail.ctx || {};
    var el = e.target;
    armToasts();
    syncSidebar();
    syncThemeToggles();
    if (ctx.vHadFocus && el instanceof HTMLElement && el.isConnected) {
      announce(el);
      var active = document.activeElement;
      if (!active || active === document.body) { // the focused control was swapped away
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
        el.focus({ preventScroll: true });
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    armToasts();
    syncSidebar();
    syncThemeToggles();
  });
})();
