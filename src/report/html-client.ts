/**
 * The page script of the HTML report, as text: draws each ChartSpec with uPlot and marks
 * each chart's container with the number of points drawn (the browser test reads it).
 */
export const HTML_CLIENT_SCRIPT = String.raw`
(function () {
  var specs = JSON.parse(document.getElementById('chart-data').textContent);
  var root = document.getElementById('charts');
  specs.forEach(function (spec) {
    var box = document.createElement('section');
    box.className = 'chart';
    box.id = spec.id;
    var title = document.createElement('h3');
    title.textContent = spec.title;
    box.appendChild(title);
    root.appendChild(box);
    var data = uPlot.join(spec.series.map(function (s) { return [s.x, s.y]; }));
    var paths = spec.kind === 'step' ? uPlot.paths.stepped({ align: 1 })
      : spec.kind === 'bars' ? uPlot.paths.bars({ size: [0.18, Infinity] }) : undefined;
    var xAxis = { label: spec.xLabel };
    if (spec.categories) {
      xAxis.values = function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) ? (spec.categories[v] || '') : ''; }); };
    } else if (spec.xPercentile) {
      // x is -log10(1 - p): ticks at 0%, 90%, 99%, 99.9%, ...
      xAxis.splits = function (u) { var out = []; for (var v = 0; v <= Math.ceil(u.scales.x.max); v++) out.push(v); return out; };
      xAxis.values = function (u, splits) { return splits.map(function (v) { return (100 * (1 - Math.pow(10, -v))).toFixed(Math.max(0, v - 2)) + '%'; }); };
    }
    var xScale = { time: false };
    if (spec.xLog) xScale.distr = 3;
    if (spec.categories) xScale.range = [-0.5, spec.categories.length - 0.5];
    var options = {
      width: 920,
      height: 300,
      scales: { x: xScale, y: spec.yLog ? { distr: 3 } : {} },
      axes: [xAxis, { label: spec.yLabel }],
      series: [{ label: spec.xLabel }].concat(spec.series.map(function (s) {
        return { label: s.label, stroke: s.color, fill: spec.kind === 'bars' ? s.color : undefined, width: 2,
          dash: s.dash ? [6, 4] : undefined, paths: paths, spanGaps: true, points: { show: spec.kind === 'bars' ? false : undefined } };
      })),
    };
    new uPlot(options, data, box);
    box.dataset.points = String(spec.series.reduce(function (sum, s) { return sum + s.x.length; }, 0));
  });
  document.body.dataset.charts = String(specs.length);
})();
`;
