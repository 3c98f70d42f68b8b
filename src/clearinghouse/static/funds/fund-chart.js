// The fund page's two charts, drawn from the JSON in #fund-chart-data (no inline script: CSP).
(function () {
  const source = document.getElementById("fund-chart-data");
  if (!source || typeof Chart === "undefined") return;
  const d = JSON.parse(source.textContent);
  const fmt = (v) => new Intl.NumberFormat("en", {notation: "compact", maximumFractionDigits: 1}).format(v);
  const credited = [
    {label: "Credited cash", data: d.credited_cash, backgroundColor: "#1f4e8c", stack: "credited"},
    {label: "Credited in kind", data: d.credited_in_kind, backgroundColor: "#2e7d32", stack: "credited"},
  ];
  if ((d.credited_not_releasable || []).some((v) => v)) {
    credited.push({label: "Not releasable to you", data: d.credited_not_releasable, backgroundColor: "#8a8f98", stack: "credited"});
  }
  new Chart(document.getElementById("members-chart"), {
    type: "bar",
    data: {labels: d.labels, datasets: [
      {label: "Fair share", data: d.fair_share, backgroundColor: "#9fb3cf", stack: "fair"},
      ...credited,
    ]},
    options: {maintainAspectRatio: false, scales: {y: {stacked: true, ticks: {callback: fmt}, title: {display: true, text: d.currency}}, x: {stacked: true}},
      plugins: {tooltip: {callbacks: {label: (c) => c.dataset.label + ": " + c.parsed.y.toLocaleString("en") + " " + d.currency}}}},
  });
  new Chart(document.getElementById("years-chart"), {
    data: {labels: d.years, datasets: [
      {type: "bar", label: "Target", data: d.year_target, backgroundColor: "#d9dee5"},
      {type: "bar", label: "Credited", data: d.year_credited, backgroundColor: "#1f4e8c"},
      {type: "line", label: "Cumulative target", data: d.cumulative_target, borderColor: "#5b6675", borderDash: [4, 4]},
      {type: "line", label: "Cumulative credited", data: d.cumulative_credited, borderColor: "#2e7d32"},
    ]},
    options: {maintainAspectRatio: false, scales: {y: {ticks: {callback: fmt}, title: {display: true, text: d.currency}}}},
  });
})();
