/* Transparency charts (Chart.js 4). Data comes from the page's json_script "chart-data". */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var COLORS = { military: "#1f4e8c", financial: "#2a9d8f", humanitarian: "#e09f3e" };
  var PALETTE = ["#1f4e8c", "#2a9d8f", "#e09f3e", "#9c4f96", "#c8553d", "#5c8001", "#3d5a80", "#b08968", "#98a2b3"];
  var TYPES = ["military", "financial", "humanitarian"];
  var LABELS = { military: "Military", financial: "Financial", humanitarian: "Humanitarian" };

  Chart.defaults.font.size = 11;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;  // charts appear at once (and screenshots are stable)
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function bn(v) {
    if (v === null || v === undefined) { return "withheld"; }
    return "€" + v.toLocaleString("en", { maximumFractionDigits: 3 }) + " bn";
  }
  function pct(v) {
    return (v === null || v === undefined) ? "withheld" : v.toLocaleString("en", { maximumFractionDigits: 3 }) + " % of GDP";
  }
  function tooltip(fmt) {
    return { callbacks: { label: function (ctx) { return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + fmt(ctx.raw); } } };
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
  }
  function stackedByType(block) {
    return TYPES.map(function (t) {
      return { label: LABELS[t], data: block[t], backgroundColor: COLORS[t], borderWidth: 0 };
    });
  }

  if (data.timeline) {
    draw("chart-timeline", {
      type: "bar",
      data: { labels: data.timeline.labels, datasets: stackedByType(data.timeline) },
      options: {
        plugins: { tooltip: tooltip(bn), legend: { position: "top", align: "end" } },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 8 }, grid: { display: false } },
          y: { stacked: true, title: { display: true, text: "EUR billion" } }
        }
      }
    });
  }
  if (data.groups) {
    draw("chart-groups", {
      type: "bar",
      data: { labels: data.groups.labels, datasets: stackedByType(data.groups) },
      options: {
        indexAxis: "y",
        plugins: { tooltip: tooltip(bn), legend: { position: "top", align: "end" } },
        scales: { x: { stacked: true, title: { display: true, text: "EUR billion" } }, y: { stacked: true, ticks: { autoSkip: false } } }
      }
    });
  }
  function ranking(id, block, fmt, axis, color) {
    draw(id, {
      type: "bar",
      data: { labels: block.labels, datasets: [{ data: block.values, backgroundColor: color, borderWidth: 0 }] },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false }, tooltip: tooltip(fmt) },
        scales: { x: { title: { display: true, text: axis } }, y: { ticks: { autoSkip: false } } }
      }
    });
  }
  var typeColor = COLORS[data.type] || "#3d5a80";
  if (data.donors) { ranking("chart-donors", data.donors, bn, "EUR billion", typeColor); }
  if (data.gdp) { ranking("chart-gdp", data.gdp, pct, "% of 2021 GDP", "#5c8001"); }
  if (data.weapons) {
    draw("chart-weapons", {
      type: "bar",
      data: {
        labels: data.weapons.labels,
        datasets: data.weapons.datasets.map(function (d, i) {
          return { label: d.label, data: d.data, backgroundColor: PALETTE[i % PALETTE.length], borderWidth: 0 };
        })
      },
      options: {
        plugins: { tooltip: tooltip(bn), legend: { position: "right" } },
        scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, title: { display: true, text: "EUR billion" } } }
      }
    });
  }
}());
