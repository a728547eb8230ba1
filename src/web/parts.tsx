/** Small pieces every page uses: state words, capacity bars, bar charts, load and error lines. */
import type { ComponentChildren } from 'preact';
import type { Amount } from '../core/placement/capacity.js';
import { used } from './fleet-view.js';
import { percent } from './format.js';
import type { Polled } from './poll.js';

export function State({ state }: { state: string }) {
  return <span class={`state state-${state}`}>{state}</span>;
}

/** Allocated of usable as a bar; red from 90 %, over-committed beyond 100 %. */
export function CapacityBar({ label, amount, format }: { label: string; amount: Amount; format: (n: number) => string }) {
  const share = used(amount);
  const level = share > 1 ? 'over' : share >= 0.9 ? 'high' : 'ok';
  return (
    <div class="capacity" data-capacity={label}>
      <span class="capacity-label">{label}</span>
      <span class="bar" role="meter" aria-label={`${label} allocated`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(Math.min(share, 9.99) * 100)}>
        <span class={`fill fill-${level}`} style={{ width: `${Math.min(share, 1) * 100}%` }} />
      </span>
      <span class="capacity-value">{format(amount.allocated)} / {format(amount.usable)} ({percent(share)})</span>
    </div>
  );
}

/** Bars over labelled values (SVG; each bar carries its number as a title for hover and screen readers). */
export function BarChart({ title, values, unit }: { title: string; values: { label: string; value: number }[]; unit: string }) {
  const max = Math.max(1, ...values.map((v) => v.value));
  const w = 100 / Math.max(1, values.length);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label={title}>
        {values.map((v, i) => (
          <rect key={v.label} x={i * w + w * 0.1} y={40 - (v.value / max) * 38} width={w * 0.8} height={(v.value / max) * 38} data-label={v.label} data-value={v.value}>
            <title>{`${v.label}: ${v.value.toLocaleString('en')} ${unit}`}</title>
          </rect>
        ))}
      </svg>
      <div class="chart-axis"><span>{values[0]?.label}</span><span>max {max.toLocaleString('en')} {unit}</span><span>{values.at(-1)?.label}</span></div>
    </figure>
  );
}

/** The page's title, then an error line (kept above the last data), then the data or "Loading…". */
export function Page<T>({ title, polled, children }: { title: string; polled: Polled<T>; children: (data: T) => ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      {polled.error ? <p class="error" role="alert">{polled.error}</p> : null}
      {polled.data === undefined ? (polled.error ? null : <p>Loading…</p>) : children(polled.data)}
    </section>
  );
}

/** Says plainly that something is not set up, and how to set it up. */
export function NotConfigured({ what, how }: { what: string; how: string }) {
  return <p class="muted" data-not-configured={what}>{what}: not configured. {how}</p>;
}
