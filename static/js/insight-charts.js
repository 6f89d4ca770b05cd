/* The staff dashboard's charts: every <canvas data-chart="ID"> is drawn from the JSON block #ID
   (labels already translated by the server). Urdu pages (dir="rtl") get rtl legends and tooltips on the
   right; the table next to each chart holds the same numbers, so the page reads without this script. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  // Dark enough on white for graphics (WCAG 1.4.11, 3:1 and more), told apart by lightness too.
  var COLOURS = ["#1f4e79", "#b3471d", "#2e7d32", "#6a3d9a", "#8a6d00", "#00707a", "#a3195b", "#4d4d4d"];
  var root = document.documentElement;
  var rtl = root.dir === "rtl";
  var locale = root.lang || "en";
  // The page's own fonts (Noto Nastaliq Urdu on Urdu pages): the canvas does not inherit them.
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#333";

  function datasets(spec) {
    return spec.datasets.map(function (set, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: spec.type === "line" ? 2 : 0,
        pointStyle: ["circle", "rect", "triangle", "rectRot"][i % 4],
        pointRadius: 3,
        fill: false
      };
    });
  }

  function draw(canvas) {
    var block = document.getElementById(canvas.dataset.chart);
    if (!block) return;
    var spec = JSON.parse(block.textContent);
    var values = [].concat.apply([], spec.datasets.map(function (set) { return set.data; }));
    if (!values.some(function (v) { return v; })) {
      canvas.closest("figure").hidden = true; // the table says "nothing in this period"
      return;
    }
    var money = spec.currency ? new Intl.NumberFormat(locale, { style: "currency", currency: spec.currency, maximumFractionDigits: 0 }) : null;
    var axis = { stacked: !!spec.stacked, ticks: { precision: 0 } };
    if (money) axis.ticks.callback = function (value) { return money.format(value); };
    var labelAxis = { stacked: !!spec.stacked, reverse: rtl && !spec.horizontal };
    var config = {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: {
        locale: locale,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        layout: { padding: { left: 24, right: 24 } }, // room for the first and last month's label
        indexAxis: spec.horizontal ? "y" : "x",
        scales: spec.horizontal
          ? { x: Object.assign({ reverse: rtl, beginAtZero: true }, axis), y: Object.assign(labelAxis, { position: rtl ? "right" : "left" }) }
          : { x: labelAxis, y: Object.assign({ beginAtZero: true, position: rtl ? "right" : "left" }, axis) },
        plugins: {
          // With rtl set, Chart.js reads "start" from the right: the legend sits on the right in Urdu.
          legend: { display: spec.datasets.length > 1, rtl: rtl, align: rtl ? "start" : "center", labels: { usePointStyle: true } },
          tooltip: {
            rtl: rtl,
            callbacks: money ? { label: function (item) { return item.dataset.label + ": " + money.format(item.raw); } } : {}
          }
        }
      }
    };
    if (spec.horizontal) canvas.parentNode.style.height = Math.max(160, spec.labels.length * 28 + 60) + "px";
    new Chart(canvas, config);
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  // Redraw at the printed width, then back.
  window.addEventListener("beforeprint", function () {
    Object.values(Chart.instances).forEach(function (chart) { chart.resize(); });
  });
})();
