// naltrack: the program outcomes page's plots (Plotly). The page's tables hold every figure without this file;
// the plots read the same figures from the page's JSON block (#outcomes-data), suppressed cells left out.
(function () {
  "use strict";

  var COLOURS = ["#0b4f8a", "#a4161a", "#1e6b34", "#7a4a00", "#4a5361", "#6a3d9a", "#00798c", "#b35c00",
    "#8c2d6b", "#3b6e00"];

  function band(colour) {  // the colour at 15% opacity: a curve's confidence band
    var n = parseInt(colour.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + ",0.15)";
  }
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  // Kaplan-Meier curves as steps, each with its 95% confidence band.
  function drawRetention(target, curves) {
    var traces = [];
    curves.forEach(function (c, i) {
      var colour = COLOURS[i % COLOURS.length];
      traces.push({ x: c.times, y: c.high, mode: "lines", line: { width: 0, shape: "hv" }, hoverinfo: "skip",
        showlegend: false, legendgroup: c.label });
      traces.push({ x: c.times, y: c.low, mode: "lines", line: { width: 0, shape: "hv" }, fill: "tonexty",
        fillcolor: band(colour), hoverinfo: "skip", showlegend: false, legendgroup: c.label });
      traces.push({ x: c.times, y: c.survival, mode: "lines", line: { color: colour, width: 2.5, shape: "hv" },
        name: c.label, legendgroup: c.label, customdata: c.low.map(function (low, k) { return [low, c.high[k]]; }),
        hovertemplate: c.label + ", day %{x}: %{y:.0%} still in treatment (95% CI %{customdata[0]:.0%} to " +
          "%{customdata[1]:.0%})<extra></extra>" });
    });
    window.Plotly.react(target, traces, {
      height: 340, margin: { l: 60, r: 20, t: 10, b: 50 },
      xaxis: { title: { text: "days since the first dose" }, rangemode: "tozero", dtick: 30 },
      yaxis: { title: { text: "still in treatment" }, range: [0, 1.02], tickformat: ".0%" },
      legend: { orientation: "h", y: -0.25 },
      shapes: [30, 90, 180].map(function (d) {
        return { type: "line", x0: d, x1: d, yref: "paper", y0: 0, y1: 1, line: { color: "#c9d0d9", width: 1 } };
      })
    }, CONFIG);
  }

  // The cascade of care: a bar per stage, first stage on top, with its count; a suppressed stage has no bar.
  function drawCascade(target, stages) {
    window.Plotly.react(target, [{
      type: "bar", orientation: "h", y: stages.map(function (s) { return s.label; }),
      x: stages.map(function (s) { return s.count === null ? 0 : s.count; }),
      text: stages.map(function (s) { return s.text; }), textposition: "outside", cliponaxis: false,
      marker: { color: "#0b4f8a" }, hovertemplate: "%{y}: %{text}<extra></extra>"
    }], {
      height: 300, margin: { l: 130, r: 20, t: 10, b: 40 },
      xaxis: { title: { text: "patients" }, range: [0, 1.6 * Math.max.apply(null, stages.map(function (s) {
        return s.count || 0; }).concat([1]))] },
      yaxis: { autorange: "reversed", automargin: true }
    }, CONFIG);
  }

  // A measure by month of treatment: one line per series, month 0 the baseline.
  function drawMonths(target, spec) {
    var traces = spec.series.map(function (s, i) {
      return { x: spec.months, y: s.values, mode: "lines+markers", name: s.name, connectgaps: false,
        line: { color: COLOURS[i % COLOURS.length], width: 2 },
        hovertemplate: s.name + ", %{x}: " + (spec.share ? "%{y:.0%}" : "%{y:.1f}") + "<extra></extra>" };
    });
    window.Plotly.react(target, traces, {
      height: 280, margin: { l: 55, r: 20, t: 10, b: 60 },
      xaxis: { title: { text: "month of treatment (0 = the month before the first dose)" }, dtick: 1,
        range: [-0.5, Math.max.apply(null, spec.months.concat([1])) + 0.5] },
      yaxis: { title: { text: spec.unit }, tickformat: spec.share ? ".0%" : "", rangemode: "tozero",
        range: spec.share ? [0, 1.02] : undefined },
      legend: { orientation: "h", y: -0.35 }
    }, CONFIG);
  }

  function draw(root) {
    var data = (root || document).querySelector("#outcomes-data");
    if (!data || typeof window.Plotly === "undefined") return;
    var figures = JSON.parse(data.textContent);
    var plots = {
      "retention-form-plot": function (t) { drawRetention(t, figures.retention_form); },
      "retention-cohort-plot": function (t) { drawRetention(t, figures.retention_cohort); },
      "cascade-plot": function (t) { drawCascade(t, figures.cascade); },
      "screens-plot": function (t) { drawMonths(t, figures.screens); },
      "drinking-plot": function (t) { drawMonths(t, figures.drinking); },
      "bam-plot": function (t) { drawMonths(t, figures.bam); }
    };
    Object.keys(plots).forEach(function (id) {
      var target = document.getElementById(id);
      if (!target) return;
      plots[id](target);
      target.setAttribute("data-drawn", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
