/* Booking pages: when the server could only guess the visitor's time zone (the select is marked
   data-detect-zone), choose the browser's own zone and fire "change", so htmx fetches the times in
   that zone. Without JavaScript the guess (the business zone) stays and the select still works. */
(function () {
  "use strict";
  function detect() {
    var select = document.querySelector("select[data-detect-zone]");
    if (!select) return;
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    select.removeAttribute("data-detect-zone");
    if (!zone || zone === select.value) return;
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!known) return;
    select.value = zone;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
  // After htmx has processed the page (its listener was added first), so the change is sent.
  document.addEventListener("DOMContentLoaded", function () {
    window.setTimeout(detect, 0);
  });
})();
