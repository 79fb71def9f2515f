// A uPlot line chart of rolling series sharing one x axis (epoch seconds).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

function css(name, fallback) {
  return getComputedStyle(document.documentElement)
    .getPropertyValue(name).trim() || fallback;
}

const palette = ['--accent', '--danger', '--dim'];

/** `lines`: [[label, values], …], each as long as `xs`. */
export function Chart({ title, xs, lines, unit, height = 180 }) {
  const host = useRef(null);
  const plot = useRef(null);
  const data = [xs, ...lines.map((l) => l[1])];

  useEffect(() => {
    const el = host.current; // the ref is null by the time cleanup runs
    const width = () => Math.max(200, el.clientWidth || 320);
    const fg = css('--fg', '#222');
    const axis = { stroke: fg, grid: { stroke: css('--line', '#ddd') } };
    plot.current = new uPlot({
      title, width: width(), height,
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
      axes: [axis, { ...axis, size: 56, values: (u, v) => v.map((x) => x + (unit || '')) }],
      series: [{}, ...lines.map(([label], i) => ({
        label, stroke: css(palette[i % palette.length], '#2a7'), width: 2,
      }))],
      legend: { show: lines.length > 1 },
    }, data, el);
    const resize = () => plot.current.setSize({ width: width(), height });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.current.destroy();
    };
  }, []);

  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  }, [xs, ...lines.map((l) => l[1])]);

  // the title and the largest value shown, for tests and tooling (the
  // plot itself is a canvas)
  const peak = Math.max(0, ...lines.flatMap((l) => l[1]));
  return <div class="chart" ref={host} data-title={title} data-peak={Math.round(peak * 1000) / 1000} />;
}
