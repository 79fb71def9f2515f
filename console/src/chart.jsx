// A uPlot line chart of a rolling series: x are epoch seconds.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

function css(name, fallback) {
  return getComputedStyle(document.documentElement)
    .getPropertyValue(name).trim() || fallback;
}

export function Chart({ title, xs, ys, unit }) {
  const host = useRef(null);
  const plot = useRef(null);

  useEffect(() => {
    const el = host.current; // the ref is null by the time cleanup runs
    const width = () => Math.max(240, el.clientWidth || 320);
    const fg = css('--fg', '#222');
    const axis = { stroke: fg, grid: { stroke: css('--line', '#ddd') } };
    plot.current = new uPlot({
      title, width: width(), height: 180,
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] } },
      axes: [axis, { ...axis, values: (u, v) => v.map((x) => x + (unit || '')) }],
      series: [{}, { label: title, stroke: css('--accent', '#2a7'), width: 2 }],
      legend: { show: false },
    }, [xs, ys], el);
    const resize = () => plot.current.setSize({ width: width(), height: 180 });
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      plot.current.destroy();
    };
  }, []);

  useEffect(() => {
    if (plot.current) plot.current.setData([xs, ys]);
  }, [xs, ys]);

  return <div class="chart" ref={host} />;
}
