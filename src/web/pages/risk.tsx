import { useState } from 'preact/hooks';
import { percent } from '../format.js';
import { Page } from '../parts';
import { usePoll } from '../poll.js';
import { heatRows, scenarioOf } from '../risk-view.js';

/**
 * Risk: a heat map of every single failure × the share of customers it takes down, with the
 * policy line; clicking a scenario shows what would go down. Then the table, worst first.
 */
export function RiskPage() {
  const polled = usePoll((c) => c.risk(), [], 60_000);
  const [picked, pick] = useState<string>();
  return (
    <Page title="Risk" polled={polled}>
      {(report) => {
        const rows = heatRows(report, report.limit);
        const s = picked ? scenarioOf(report, picked) : undefined;
        return (
          <>
            <p>
              Policy: no single failure may take down more than <strong data-field="limit">{percent(report.limit)}</strong> of the customers (weighted).{' '}
              {report.violations.length === 0 ? <span class="state-up">Every scenario holds.</span> : <span class="state-down" data-field="violations">{report.violations.length} violation{report.violations.length === 1 ? '' : 's'}.</span>}
            </p>
            {report.violations.length > 0 ? <ul class="error">{report.violations.map((v) => <li key={v.group + v.rule}>{v.message}</li>)}</ul> : null}
            <div class="heatmap" role="group" aria-label="failure scenarios by share of customers affected">
              {rows.map((r) => (
                <div class="heat-row" key={r.kind}>
                  <span class="heat-kind">{r.kind}</span>
                  <span class="heat-cells">
                    {r.cells.map((c) => (
                      <button type="button" key={c.group} class={`heat${c.over ? ' heat-over' : ''}`} data-scenario={c.group} aria-pressed={picked === c.group}
                        style={{ background: `hsl(${120 - 120 * c.heat} 70% ${92 - 42 * c.heat}%)` }} title={`${c.group}: ${percent(c.share)}`} onClick={() => pick(c.group)}>
                        {c.group.slice(c.group.indexOf(':') + 1)} <small>{percent(c.share)}</small>
                      </button>
                    ))}
                  </span>
                </div>
              ))}
            </div>
            <p class="muted">Green: nobody affected; the policy line is at yellow; red cells with a thick border break it.</p>
            {s ? (
              <div class="card" data-detail={s.group} aria-live="polite">
                <h2>If {s.group} fails</h2>
                <p>{s.customersAffected} of {s.customersTotal} weighted customers affected ({percent(s.share)}); {s.appsDown} apps down, {s.appsDegraded} degraded{s.criticalAppsDown ? `, ${s.criticalAppsDown} critical down` : ''}; {s.capacityLost.hosts} hosts lost.</p>
                <dl>
                  <dt>Down</dt><dd data-field="down">{s.down.length ? s.down.map((a, i) => <span key={a}>{i ? ', ' : ''}<a href={`#/app/${a}`}>{a}</a></span>) : 'nothing'}</dd>
                  <dt>Degraded</dt><dd>{s.degraded.join(', ') || 'nothing'}</dd>
                  <dt>Customers</dt><dd>{s.customers.join(', ') || 'none'}</dd>
                </dl>
              </div>
            ) : <p class="muted">Pick a scenario to see what would go down.</p>}
            <h2>Worst scenarios</h2>
            <table data-table="scenarios">
              <thead><tr><th>Failure</th><th>Customers affected</th><th>Apps down</th><th>Degraded</th></tr></thead>
              <tbody>
                {report.scenarios.slice(0, 15).map((x) => (
                  <tr key={x.group} data-row={x.group}><td><button type="button" class="link" onClick={() => pick(x.group)}>{x.group}</button></td><td>{percent(x.share)}</td><td>{x.appsDown}</td><td>{x.appsDegraded}</td></tr>
                ))}
              </tbody>
            </table>
          </>
        );
      }}
    </Page>
  );
}
