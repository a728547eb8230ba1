/**
 * The fleet file `hafen import` writes (pure): one app per imported project, pinned to the host it
 * runs on and run in its own working directory (so Compose keeps its containers), with what an
 * operator must check marked `# review:` on the line it concerns.
 */
import { Document, isNode, type Node } from 'yaml';
import { estimatedResources, sizeText, type ImportedProject } from './import.js';

export interface ImportFileOptions {
  host: string;
  /** Where the projects' copies are, relative to the file written ("projects"). */
  projectsDir: string;
  /** Bytes of each named volume ("<project>_<volume>") and data directory (absolute path), when measured. */
  sizes: ReadonlyMap<string, number>;
  /** Customers the file declares (guessed ones): none when the operator named one that exists. */
  declareCustomers: boolean;
  /** When it was imported (ISO 8601), said in the file's header. */
  at: string;
}

function comment(doc: Document, path: (string | number)[], text: string): void {
  const node = doc.getIn(path, true);
  if (isNode(node)) (node as Node).comment = ` ${text}`;
}

/** The fleet YAML adopting `projects` (those with no `skip`). */
export function importFleetYaml(projects: readonly ImportedProject[], opts: ImportFileOptions): string {
  const taken = projects.filter((p) => !p.skip);
  const customers = [...new Set(taken.map((p) => p.customer))].sort();
  const apps = taken.map((p) => {
    const compose: Record<string, unknown> = { project: `${opts.projectsDir}/${p.app}`, name: p.project.name, workingDir: p.project.workingDir, files: p.files };
    if (p.dataDirs.length > 0) compose.data = p.dataDirs.map((d) => `./${d}`);
    const app: Record<string, unknown> = { id: p.app, customer: p.customer, placement: { hosts: [opts.host] }, resources: estimatedResources(p) };
    if (p.port !== undefined) app.port = p.port;
    const volumes = p.volumes.map((v) => ({ name: v, size: sizeText(opts.sizes.get(`${p.project.name}_${v}`) ?? 0) }));
    if (volumes.length > 0) app.volumes = volumes;
    app.workload = { compose };
    return app;
  });
  const doc = new Document(opts.declareCustomers ? { customers: customers.map((id) => ({ id })), apps } : { apps });
  doc.commentBefore = [
    ` Written by hafen import from the compose projects running on host ${opts.host} (${opts.at}).`,
    ' Each app runs its project where it runs now (workingDir, on that host): taking it over',
    ' recreates no container unless a "review" line says so. Check every "review" line, add',
    ' domains, then: hafen validate, hafen plan, hafen apply.',
  ].join('\n');
  if (opts.declareCustomers) customers.forEach((c, i) => comment(doc, ['customers', i, 'id'], 'review: guessed from project names'));
  taken.forEach((p, i) => {
    const at = (...path: (string | number)[]) => ['apps', i, ...path];
    if (p.review.some((r) => r.startsWith('customer'))) comment(doc, at('customer'), 'review: guessed from the project\'s name');
    if (p.app !== p.project.name) comment(doc, at('id'), `review: made from the project's name "${p.project.name}"`);
    comment(doc, at('placement', 'hosts', 0), 'runs here now; without it hafen may place the app elsewhere (a move of its data)');
    comment(doc, at('resources', 'memory'), `review: ${sizeText(p.memoryBytes)} in use when imported`);
    if (p.port !== undefined) comment(doc, at('port'), 'review: where the proxies send its traffic (the first port it publishes)');
    p.volumes.forEach((v, j) => {
      const bytes = opts.sizes.get(`${p.project.name}_${v}`);
      comment(doc, at('volumes', j, 'size'), bytes === undefined ? 'review: not measured' : 'in use when imported');
    });
    p.dataDirs.forEach((d, j) => {
      const bytes = opts.sizes.get(`${p.project.workingDir}/${d}`);
      comment(doc, at('workload', 'compose', 'data', j), `${bytes === undefined ? 'size not measured' : `${sizeText(bytes)} when imported`}; stays on the host, backed up with the app`);
    });
    const shared = p.review.find((r) => r.startsWith('it mounts volumes'));
    if (shared) comment(doc, at('workload', 'compose', 'project'), `review: ${shared}`);
    const recreate = p.review.find((r) => r.startsWith('taking it over') || r.startsWith('whether taking'));
    if (recreate) comment(doc, at('workload', 'compose', 'workingDir'), `review: ${recreate}`);
  });
  return doc.toString({ lineWidth: 0 });
}
