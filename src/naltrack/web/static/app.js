// naltrack: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Long actions show progress: a plain form submit marks the form busy and disables its button.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    form.classList.add("busy");
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // htmx requests carry the CSRF token as a header too (forms also carry it as a field).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  function drawCoverage(root) {
    var data = (root || document).querySelector("#coverage-data");
    var target = document.getElementById("coverage-chart");
    if (!data || !target || typeof window.Plotly === "undefined") return;
    var c = JSON.parse(data.textContent);
    var traces = [
      { x: c.days, y: c.high, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false },
      { x: c.days, y: c.low, mode: "lines", fill: "tonexty", fillcolor: "rgba(11,79,138,0.18)",
        line: { width: 0 }, name: "90% band" },
      { x: c.days, y: c.median, mode: "lines", line: { color: "#0b4f8a", width: 2 }, name: "median ng/mL" }
    ];
    if (c.doses && c.doses.length) {
      traces.push({ x: c.doses.map(function (d) { return d.day; }), y: c.doses.map(function () { return c.ymax; }),
        mode: "markers", marker: { symbol: "triangle-down", size: 11, color: "#1b1f24" },
        text: c.doses.map(function (d) { return d.label; }), hoverinfo: "text+x", name: "doses" });
    }
    var shapes = c.thresholds.map(function (t) {
      return { type: "line", xref: "paper", x0: 0, x1: 1, y0: t.ng_per_ml, y1: t.ng_per_ml,
        line: { color: t.color, width: 1.5, dash: "dash" } };
    });
    var notes = c.thresholds.map(function (t) {
      // On a log axis Plotly places annotations in log10 units (shapes take data values).
      return { xref: "paper", x: 1, xanchor: "right", y: c.log ? Math.log10(t.ng_per_ml) : t.ng_per_ml,
        yanchor: "bottom", showarrow: false,
        text: t.label + " " + t.ng_per_ml + " ng/mL", font: { size: 11, color: t.color } };
    });
    if (c.today) {
      shapes.push({ type: "line", x0: c.today, x1: c.today, yref: "paper", y0: 0, y1: 1,
        line: { color: "#4a5361", width: 1 } });
    }
    window.Plotly.react(target, traces, {
      margin: { l: 50, r: 20, t: 10, b: 40 }, height: 340, shapes: shapes, annotations: notes,
      yaxis: { title: { text: "naltrexone, ng/mL (log scale)" }, type: c.log ? "log" : "linear",
        range: c.log ? [Math.log10(c.ymin), Math.log10(c.ymax)] : [0, c.ymax],
        tickvals: c.log ? [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50] : undefined },
      xaxis: { type: "date" }, legend: { orientation: "h", y: -0.2 }
    }, { displaylogo: false, responsive: true });
    target.setAttribute("data-drawn", "true");
  }

  // Screening scores over time: one small chart per instrument, its full range on the axis.
  function drawScores(root) {
    var data = (root || document).querySelector("#scores-data");
    if (!data || typeof window.Plotly === "undefined") return;
    JSON.parse(data.textContent).forEach(function (sr, i) {
      var target = document.getElementById("score-chart-" + (i + 1));
      if (!target) return;
      window.Plotly.react(target, [{ x: sr.days, y: sr.totals, text: sr.bands, mode: "lines+markers",
        line: { color: "#0b4f8a" }, hovertemplate: "%{x}: %{y} (%{text})<extra></extra>" }], {
        title: { text: sr.title, font: { size: 13 } }, height: 180, margin: { l: 35, r: 10, t: 30, b: 30 },
        yaxis: { range: [0, sr.max] }, xaxis: { type: "date" }, showlegend: false
      }, { displaylogo: false, responsive: true, staticPlot: false });
      target.setAttribute("data-drawn", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCoverage(document); drawScores(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCoverage(event.target); drawScores(event.target); });
})();
