/* FLA online application: charts from json_script data, a select-all checkbox, copy buttons,
   the focus on a form's findings.
   No inline script anywhere: pages pass data through data- attributes and json_script. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  /* Decimal hours as h:mm, as the pages write hours (fla/web/formatting.py: 7.5 → 7:30). */
  function hoursMinutes(value) {
    var minutes = Math.round(Math.abs(Number(value) || 0) * 60);
    var rest = minutes % 60;
    return (value < 0 && minutes ? "-" : "") + Math.floor(minutes / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tooltipLabel(context) {
    var label = context.dataset.label ? context.dataset.label + ": " : "";
    return label + hoursMinutes(context.parsed.y);
  }

  var BLUE = "#0b4f8a";
  var GREEN = "#1d6b3a";

  function drawChart(canvas) {
    if (typeof window.Chart === "undefined" || canvas.dataset.drawn) { return; }
    var data = readJson(canvas.dataset.source);
    if (!data) { return; }
    var datasets = [{
      type: "bar", label: canvas.dataset.labelTotal || "", data: data.total,
      backgroundColor: BLUE, yAxisID: "y"
    }];
    var scales = { y: { beginAtZero: true, position: "left" } };
    if (canvas.dataset.chart === "year-combo" && data.average) {
      datasets.push({
        type: "line", label: canvas.dataset.labelAverage || "", data: data.average,
        borderColor: GREEN, backgroundColor: GREEN, yAxisID: "y1", tension: 0.2
      });
      scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
    }
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: true, aspectRatio: 2.2,
        animation: false, scales: scales,
        plugins: {
          legend: { display: datasets.length > 1 },
          // The data are decimal hours; the tooltip tells them as h:mm.
          tooltip: { callbacks: { label: tooltipLabel } }
        }
      }
    });
  }

  function drawCharts(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(drawChart);
  }

  function bindSelectAll(root) {
    (root || document).querySelectorAll("input[data-select-all]").forEach(function (box) {
      if (box.dataset.bound) { return; }
      box.dataset.bound = "1";
      box.addEventListener("change", function () {
        var form = box.form || document;
        form.querySelectorAll('input[type="checkbox"][name="' + box.dataset.selectAll + '"]')
          .forEach(function (item) { item.checked = box.checked; });
      });
    });
  }

  // "Copy" buttons (the secret of a new API client): hidden in the page, shown only where
  // the browser can copy; without them the text can still be selected and copied.
  function bindCopy(root) {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    (root || document).querySelectorAll("button[data-copy]").forEach(function (button) {
      if (button.dataset.bound) { return; }
      var source = document.getElementById(button.dataset.copy);
      if (!source) { return; }
      button.dataset.bound = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var status = button.parentNode.querySelector(".copy-status");
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) { status.textContent = button.dataset.copied || ""; }
        });
      });
    });
  }

  // A form sent back with findings: the focus goes to their summary, or else to the first
  // field in error, so that keyboard and screen reader users start where the work is.
  function focusFindings() {
    var target = document.querySelector("[data-review]") ||
      document.querySelector('main [aria-invalid="true"]');
    if (target) { target.focus(); }
  }

  // The search answers with its results only (htmx): the field named by an error in them
  // is marked invalid and described by it, and unmarked once the error is gone.
  function markInvalidFields(target) {
    document.querySelectorAll("form[data-results]").forEach(function (form) {
      if (form.dataset.results !== target.id) { return; }
      form.querySelectorAll("input[data-error-id]").forEach(function (input) {
        var error = document.getElementById(input.dataset.errorId);
        if (error) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", error.id);
        } else {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        }
      });
    });
  }

  // Forms sent once (a BATCH file's upload, which may take a while): a second click, or a
  // second Enter, while the first sending is under way would send the file again, and
  // its receipt would then say the reference was already used. The button is disabled
  // once the form is sent, and enabled again when the page comes back from the history.
  function bindSendOnce(root) {
    (root || document).querySelectorAll("form[data-send-once]").forEach(function (form) {
      if (form.dataset.bound) { return; }
      form.dataset.bound = "1";
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
        form.setAttribute("aria-busy", "true");
        form.querySelectorAll('button[type="submit"]').forEach(function (button) {
          button.disabled = true;
        });
      });
    });
  }

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-send-once][data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
      form.querySelectorAll('button[type="submit"]').forEach(function (button) {
        button.disabled = false;
      });
    });
  });

  function init(root) { drawCharts(root); bindSelectAll(root); bindCopy(root); bindSendOnce(root); }

  document.addEventListener("DOMContentLoaded", function () { init(document); focusFindings(); });
  document.addEventListener("htmx:afterSwap", function (event) {
    init(event.target);
    markInvalidFields(event.target);
  });
})();
