/* FLA online application: charts from json_script data, and a select-all checkbox.
   No inline script anywhere: pages pass data through data- attributes and json_script. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
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
        plugins: { legend: { display: datasets.length > 1 } }
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

  function init(root) { drawCharts(root); bindSelectAll(root); }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
