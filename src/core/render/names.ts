/** Names of rendered things, shared by the renderers. */

/** A unit's name: `<app>-r<replica>`, stable across revisions. */
export function unitName(app: string, replica: number): string {
  return `${app}-r${replica}`;
}

/** The replica number of a unit name made by unitName. */
export function replicaOf(unit: string): number {
  return Number(/-r(\d+)$/.exec(unit)![1]);
}
