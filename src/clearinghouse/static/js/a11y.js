// Small screens and keyboards (a static file: the Content-Security-Policy refuses inline script).
//
// * The navigation collapses behind a "Menu" button at narrow widths. The button only shows once this
//   script runs (the `js` class): without it the navigation stays open and wraps.
// * Every table of the page sits in a `.table-scroll` container that scrolls sideways on its own, so
//   the page as a whole never does. While a table is wider than its container, the container is a
//   named region a keyboard can focus (and scroll with the arrow keys).
// * Every chart (a Chart.js canvas) is an image named by its heading, followed by its figures as a table
//   (under a "Figures of this chart" disclosure), built from the chart's own data.
// docs/accessibility.md describes them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUpNavigation() {
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!button || !nav) {
      return;
    }
    button.removeAttribute("hidden");
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  function text(node) {
    return (node.textContent || "").replace(/\s+/g, " ").trim();
  }

  // The table's name: its caption or label, else the nearest heading before it.
  function tableName(table) {
    var caption = table.querySelector("caption");
    if (caption && text(caption)) {
      return text(caption);
    }
    if (table.getAttribute("aria-label")) {
      return table.getAttribute("aria-label");
    }
    for (var node = table; node && node.tagName !== "MAIN" && node !== document.body; node = node.parentElement) {
      for (var prev = node.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (/^H[1-6]$/.test(prev.tagName)) {
          return text(prev);
        }
        var headings = prev.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (headings.length) {
          return text(headings[headings.length - 1]);
        }
      }
    }
    var title = document.querySelector("main h1");
    return title ? text(title) : "Table";
  }

  function update(box) {
    var table = box.querySelector("table");
    if (table && box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", tableName(table) + " (scrolls sideways)");
    } else if (!box.hasAttribute("data-static")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  function wrapTables(root) {
    var tables = (root || document).querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      var parent = table.parentElement;
      if (!parent.classList.contains("table-scroll")) {
        var box = document.createElement("div");
        box.className = "table-scroll";
        parent.insertBefore(box, table);
        box.appendChild(table);
      }
    }
    updateAll();
  }

  function updateAll() {
    var boxes = document.querySelectorAll(".table-scroll");
    for (var i = 0; i < boxes.length; i++) {
      update(boxes[i]);
    }
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(updateAll, 150);
  });
  // HTMX swaps bring new tables (a job's summary, a refreshed list): wrap them too.
  document.addEventListener("htmx:afterSettle", function () {
    wrapTables(document);
  });

  function figure(value) {
    if (value === null || value === undefined) {
      return "—";
    }
    if (typeof value === "number") {
      return value.toLocaleString("en", { maximumFractionDigits: 3 });
    }
    if (typeof value === "object" && "y" in value) {
      return figure(value.y);
    }
    return String(value);
  }

  function cell(row, tag, content, numeric) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (tag === "th" && row.parentElement && row.parentElement.tagName === "THEAD") {
      node.setAttribute("scope", "col");
    } else if (tag === "th") {
      node.setAttribute("scope", "row");
    }
    if (numeric) {
      node.className = "num";
    }
    row.appendChild(node);
  }

  function chartTables() {
    var canvases = document.querySelectorAll("main canvas");
    for (var i = 0; i < canvases.length; i++) {
      var canvas = canvases[i];
      var chart = window.Chart && window.Chart.getChart ? window.Chart.getChart(canvas) : null;
      var name = canvas.getAttribute("aria-label") || tableName(canvas);
      canvas.setAttribute("role", "img");
      if (!chart || canvas.hasAttribute("data-figures")) {
        canvas.setAttribute("aria-label", name);
        continue;
      }
      var id = (canvas.id || "chart-" + i) + "-figures";
      canvas.setAttribute("data-figures", id);
      canvas.setAttribute("aria-label", name + " (chart; its figures follow as a table)");
      var details = document.createElement("details");
      details.className = "chart-data";
      details.id = id;
      var summary = document.createElement("summary");
      summary.textContent = "Figures of this chart";
      details.appendChild(summary);
      var table = document.createElement("table");
      var caption = document.createElement("caption");
      caption.className = "small muted";
      caption.textContent = name;
      table.appendChild(caption);
      var datasets = chart.data.datasets || [];
      var head = document.createElement("thead");
      table.appendChild(head);
      var headRow = document.createElement("tr");
      head.appendChild(headRow);
      cell(headRow, "th", "", false);
      for (var d = 0; d < datasets.length; d++) {
        cell(headRow, "th", datasets[d].label || "Value", true);
      }
      var body = document.createElement("tbody");
      table.appendChild(body);
      var labels = chart.data.labels || [];
      for (var r = 0; r < labels.length; r++) {
        var row = document.createElement("tr");
        body.appendChild(row);
        cell(row, "th", Array.isArray(labels[r]) ? labels[r].join(" ") : String(labels[r]), false);
        for (var c = 0; c < datasets.length; c++) {
          cell(row, "td", figure((datasets[c].data || [])[r]), true);
        }
      }
      details.appendChild(table);
      var box = canvas.closest(".chart-box") || canvas;
      box.parentElement.insertBefore(details, box.nextSibling);
    }
  }

  function start() {
    setUpNavigation();
    chartTables();
    wrapTables(document);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
