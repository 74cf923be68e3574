/* Staff calendar: drag an appointment onto another hour (in the day view, also another staff
   member's column) to move it. The drop fills the hidden #calendar-move form and submits it, so
   htmx posts it with the CSRF token and swaps in the calendar the server answers, with a toast
   saying what happened (a clash is refused there, as on the appointment page's Move form, which
   stays the way to move without a mouse). */
(function () {
  "use strict";
  var DRAGGING = "cal-dragging";
  var TARGET = "cal-drop-target";

  function cell(event) {
    return event.target instanceof Element ? event.target.closest("td[data-drop-day]") : null;
  }
  function clear() {
    document.querySelectorAll("." + TARGET).forEach(function (el) { el.classList.remove(TARGET); });
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target instanceof Element ? event.target.closest("[data-appointment]") : null;
    if (!item) return;
    event.dataTransfer.setData("text/plain", item.dataset.appointment + " " + item.dataset.minute);
    event.dataTransfer.effectAllowed = "move";
    item.classList.add(DRAGGING);
  });
  document.addEventListener("dragend", function (event) {
    if (event.target instanceof Element) event.target.classList.remove(DRAGGING);
    clear();
  });
  document.addEventListener("dragover", function (event) {
    var target = cell(event);
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains(TARGET)) {
      clear();
      target.classList.add(TARGET);
    }
  });
  document.addEventListener("drop", function (event) {
    var target = cell(event);
    var form = document.getElementById("calendar-move");
    var dragged = (event.dataTransfer.getData("text/plain") || "").split(" ");
    clear();
    if (!target || !form || dragged.length !== 2) return;
    event.preventDefault();
    form.elements.appointment.value = dragged[0];
    form.elements.minute.value = dragged[1];
    form.elements.day.value = target.dataset.dropDay;
    form.elements.hour.value = target.dataset.dropHour;
    form.elements.staff.value = target.dataset.dropStaff || "";
    form.requestSubmit();
  });
})();
