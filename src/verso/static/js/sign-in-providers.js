/* Sign-in provider form: a block marked data-preset-only="apple" shows only while the select marked
   data-preset-select has that value. Without JavaScript every block stays visible (its help says
   "Apple only"); hidden fields are still submitted, and the server ignores them for other presets. */
(function () {
  "use strict";
  function sync(select) {
    var form = select.form;
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll("[data-preset-only]"), function (block) {
      block.hidden = block.getAttribute("data-preset-only") !== select.value;
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-preset-select]")) sync(e.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-preset-select]"), sync);
  });
})();
