/** Problems found in a fleet: every one has a stable code, a path, and where possible a line. */
import type { ProblemCode } from './problem-codes.js';

export type Severity = 'error' | 'warning';

/** A path into the (merged) fleet, e.g. ['sites', 2, 'prefixes', 0]. */
export type FleetPath = readonly (string | number)[];

/** One problem, as printed by `hafen validate` and returned by the API. */
export interface Problem {
  severity: Severity;
  /** Stable code from the problem catalogue (problem-codes.ts): `HAFEN_FLEET_*` or `HAFEN_IPAM_*`. */
  code: ProblemCode;
  /** Path inside the file the problem is in, e.g. `sites[2].prefixes[0]`. */
  path: string;
  /** Name of the file the problem is in, when known. */
  file?: string;
  /** 1-based line and column, when the YAML gives one. */
  line?: number;
  column?: number;
  message: string;
}

/** Where a path of the merged fleet comes from. */
export interface SourcePosition {
  file?: string;
  /** The path inside that file (list indexes are the file's own). */
  localPath: FleetPath;
  line?: number;
  column?: number;
}

/** `sites[2].prefixes[0]`; keys that are not plain identifiers are quoted: `labels["disk.type"]`. */
export function formatPath(path: FleetPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** "file:line" (or what is known of it) for messages that point at a second place. */
export function formatPosition(pos: SourcePosition): string {
  const file = pos.file ?? 'fleet';
  return pos.line === undefined ? file : `${file}:${pos.line}`;
}

/** Sorts problems by file, line, column, then path: the order an editor would list them. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.path.localeCompare(b.path) ||
      a.code.localeCompare(b.code),
  );
}

/**
 * Collects problems found on merged-fleet paths and turns each into a located Problem.
 * Checks call `error`/`warning` with the merged path; `where` names a second place.
 */
export class ProblemList {
  private readonly items: Problem[];

  constructor(
    private readonly locate: (path: FleetPath, opts?: { key?: boolean }) => SourcePosition,
    found: readonly Problem[] = [],
  ) {
    this.items = [...found];
  }

  error(code: ProblemCode, path: FleetPath, message: string, opts?: { key?: boolean }): void {
    this.add('error', code, path, message, opts);
  }

  warning(code: ProblemCode, path: FleetPath, message: string, opts?: { key?: boolean }): void {
    this.add('warning', code, path, message, opts);
  }

  /** "file:line" of a merged-fleet path, for messages that refer to a second place. */
  where(path: FleetPath): string {
    return formatPosition(this.locate(path));
  }

  /** The local path (as the user sees it in that file) plus its position. */
  describe(path: FleetPath): string {
    const pos = this.locate(path);
    return `${formatPath(pos.localPath)} (${formatPosition(pos)})`;
  }

  /** A problem in another file than the fleet's (a project's compose file), at a position already found. */
  at(severity: Severity, code: ProblemCode, pos: SourcePosition, message: string): void {
    const problem: Problem = { severity, code, path: formatPath(pos.localPath), message };
    if (pos.file !== undefined) problem.file = pos.file;
    if (pos.line !== undefined) problem.line = pos.line;
    if (pos.column !== undefined) problem.column = pos.column;
    this.items.push(problem);
  }

  /** The fleet file a merged-fleet path was written in. */
  fileOf(path: FleetPath): string | undefined {
    return this.locate(path).file;
  }

  get errorCount(): number {
    return this.items.filter((p) => p.severity === 'error').length;
  }

  list(): Problem[] {
    return sortProblems(this.items);
  }

  private add(severity: Severity, code: ProblemCode, path: FleetPath, message: string, opts?: { key?: boolean }): void {
    this.at(severity, code, this.locate(path, opts), message);
  }
}
