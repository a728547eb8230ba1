/**
 * Reading fleet files: YAML text → one merged plain object, remembering for every list
 * entry and single key which file (and YAML node) it came from, so that problems found on
 * the merged fleet are reported at the file, line and column the user wrote.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { parsedFile, plainData, yamlNodes, type ParsedFile } from './yaml-read.js';
import { didYouMean } from './suggest.js';
import { LIST_KEYS, SINGLE_KEYS, type ListKey, type SingleKey } from './schema/fleet.js';
import { formatPosition, type FleetPath, type Problem, type SourcePosition } from './problems.js';
import type { ProblemCode } from './problem-codes.js';

export type { ParsedFile } from './yaml-read.js';

/** One fleet file as text; `name` is how problems name it (usually its path). */
export interface FleetSource {
  name: string;
  text: string;
}

/** One document of a fleet: its data, and where a path inside it was written. */
interface Unit {
  file: string;
  /** The document as plain data; may throw for YAML that parses but cannot become data. */
  root(): unknown;
  position(localPath: FleetPath, key: boolean): SourcePosition;
}

/** A fleet document that is already data (from JSON or an API), without line numbers. */
export interface FleetData {
  name: string;
  data: unknown;
}

/** Where a merged list entry came from. */
interface Origin {
  unit: Unit;
  index: number;
}

export interface LoadedSources {
  /** The merged fleet as plain data (not yet checked against the schema). */
  data: Record<string, unknown>;
  /** Syntax errors and problems of the file structure (unknown or repeated top-level keys). */
  problems: Problem[];
  /** True when a file did not parse: its content is unknown, so nothing else can be checked. */
  syntaxError: boolean;
  /** Where a path of the merged fleet was written. */
  locate(path: FleetPath, opts?: { key?: boolean }): SourcePosition;
}

const ROOT_KEYS: readonly string[] = [...SINGLE_KEYS, ...LIST_KEYS];

/**
 * Parses and merges fleet files. Pure: the caller reads the files. A caller that validates
 * the same files again and again (the controller on every plan) may pass a `cache`, keyed by
 * file name, so that what was read from an unchanged file is reused.
 */
export function loadSources(sources: readonly FleetSource[], cache?: Map<string, ParsedFile>): LoadedSources {
  const problems: Problem[] = [];
  const units: Unit[] = [];
  let syntaxError = false;
  for (const source of sources) {
    const file = parsedFile(source.name, source.text, cache);
    const plain = plainData(file);
    if (plain) {
      // Positions come from the yaml library's documents, parsed only when a problem asks.
      const emptyFile = plain.length === 0;
      if (emptyFile) units.push(nothingIn(source.name));
      plain.forEach((data, index) =>
        units.push({
          file: source.name,
          root: () => data,
          position: (localPath, key) => {
            const { docs, lines } = yamlNodes(file);
            const doc = docs[index];
            return doc ? positionIn(source.name, doc, lines, localPath, key) : { file: source.name, localPath };
          },
        }),
      );
      continue;
    }
    const { lines, docs: list } = yamlNodes(file);
    // An empty file has no document at all: it still takes part, as one that holds nothing.
    if (list.length === 0) units.push(nothingIn(source.name));
    for (const doc of list) {
      for (const err of doc.errors) {
        const pos = lines.linePos(err.pos[0]);
        // A repeated key leaves a usable document (the first value wins); anything else does not.
        if (err.code !== 'DUPLICATE_KEY') syntaxError = true;
        problems.push({
          severity: 'error',
          code: err.code === 'DUPLICATE_KEY' ? 'HAFEN_FLEET_DUPLICATE_KEY' : 'HAFEN_FLEET_SYNTAX',
          path: '',
          file: source.name,
          line: pos.line,
          column: pos.col,
          message: `YAML: ${yamlMessage(err.message)}`,
        });
      }
      units.push({
        file: source.name,
        root: () => doc.toJS({ maxAliasCount: 1000 }),
        position: (localPath, key) => positionIn(source.name, doc, lines, localPath, key),
      });
    }
  }
  return merge(units, problems, syntaxError);
}

function nothingIn(file: string): Unit {
  return { file, root: () => null, position: (localPath) => ({ file, localPath }) };
}

/** Merges fleet documents that are already data (no YAML, so no lines). Pure. */
export function loadData(documents: readonly FleetData[]): LoadedSources {
  const units: Unit[] = documents.map((d) => ({ file: d.name, root: () => d.data, position: (localPath) => ({ file: d.name, localPath }) }));
  return merge(units, [], false);
}

function merge(units: readonly Unit[], problems: Problem[], hadSyntaxError: boolean): LoadedSources {
  let syntaxError = hadSyntaxError;
  const data: Record<string, unknown> = {};
  const origins = new Map<ListKey, Origin[]>();
  const owners = new Map<SingleKey, Unit>();
  const fallback: Unit | undefined = units[0];
  /** Files with at least one key in one of their documents. */
  const filled = new Set<string>();
  const located = (unit: Unit | undefined, localPath: FleetPath, key = false): SourcePosition =>
    unit ? unit.position(localPath, key) : { localPath };

  if (!syntaxError) {
    for (const unit of units) {
      let root: unknown;
      try {
        root = unit.root();
      } catch (err) {
        // The parser accepts some documents it cannot turn into data (a bad merge key, an alias to another document).
        problems.push(toProblem(located(unit, []), 'HAFEN_FLEET_SYNTAX', `YAML: ${yamlMessage((err as Error).message)}`));
        syntaxError = true;
        continue;
      }
      if (root === null || root === undefined) continue;
      if (typeof root === 'object' && !Array.isArray(root) && Object.keys(root).length > 0) filled.add(unit.file);
      if (typeof root !== 'object' || Array.isArray(root)) {
        problems.push(toProblem(located(unit, []), 'HAFEN_FLEET_TYPE', 'a fleet file must be a mapping of keys like "sites:" and "hosts:"'));
        continue;
      }
      for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
        if ((LIST_KEYS as readonly string[]).includes(key)) {
          const listKey = key as ListKey;
          if (value === null) continue;
          if (!Array.isArray(value)) {
            problems.push(toProblem(located(unit, [key]), 'HAFEN_FLEET_TYPE', `"${key}" must be a list (entries start with "- ")`));
            continue;
          }
          const merged = (data[key] as unknown[] | undefined) ?? [];
          const from = origins.get(listKey) ?? [];
          value.forEach((entry, index) => {
            merged.push(entry);
            from.push({ unit, index });
          });
          data[key] = merged;
          origins.set(listKey, from);
        } else if ((SINGLE_KEYS as readonly string[]).includes(key)) {
          const singleKey = key as SingleKey;
          const owner = owners.get(singleKey);
          if (owner) {
            problems.push(
              toProblem(
                located(unit, [key], true),
                'HAFEN_FLEET_DUPLICATE_KEY',
                `"${key}" is already set in ${formatPosition(owner.position([key], true))}; only one file of a fleet may set it`,
              ),
            );
            continue;
          }
          owners.set(singleKey, unit);
          data[key] = value;
        } else if (!key.startsWith('x-')) {
          // Top-level "x-" keys are free for YAML anchors to reuse (as in compose files).
          problems.push(
            toProblem(located(unit, [key], true), 'HAFEN_FLEET_UNKNOWN_KEY', `unknown key "${key}"${didYouMean(key, ROOT_KEYS)}`),
          );
        }
      }
    }
  }

  // In a fleet of several files, one that holds nothing (empty, or only comments) is probably a
  // mistake; a fleet with nothing at all is reported by validation as a whole (HAFEN_FLEET_EMPTY).
  const files = [...new Set(units.map((u) => u.file))];
  if (!syntaxError && files.length > 1) {
    for (const file of files.filter((f) => !filled.has(f))) {
      problems.push({ ...toProblem({ file, localPath: [] }, 'HAFEN_FLEET_FILE_EMPTY', 'the file holds no fleet data (it is empty or only comments)'), severity: 'warning' });
    }
  }

  const locate = (path: FleetPath, opts?: { key?: boolean }): SourcePosition => {
    const [head, index, ...rest] = path;
    if (typeof head === 'string' && (LIST_KEYS as readonly string[]).includes(head) && typeof index === 'number') {
      const origin = origins.get(head as ListKey)?.[index];
      if (origin) return origin.unit.position([head, origin.index, ...rest], opts?.key ?? false);
    }
    if (typeof head === 'string') {
      const owner = owners.get(head as SingleKey) ?? (origins.get(head as ListKey)?.[0]?.unit);
      if (owner) return owner.position(path, opts?.key ?? false);
    }
    return { file: fallback?.file, localPath: path };
  };
  return { data, problems, syntaxError, locate };
}

function toProblem(pos: SourcePosition, code: ProblemCode, message: string): Problem {
  const p: Problem = { severity: 'error', code, path: pathText(pos.localPath), message };
  if (pos.file !== undefined) p.file = pos.file;
  if (pos.line !== undefined) p.line = pos.line;
  if (pos.column !== undefined) p.column = pos.column;
  return p;
}

function pathText(path: FleetPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** The yaml library's message without its own " at line N, column M" tail. */
export function yamlMessage(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The position of `localPath` in a unit: the deepest node that exists along the path (so a
 * missing key points at the mapping that lacks it). With `key`, a final mapping key points
 * at the key itself rather than its value.
 */
export function positionIn(file: string, doc: Document.Parsed, lines: LineCounter, localPath: FleetPath, key: boolean): SourcePosition {
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (let i = 0; i < localPath.length; i++) {
    const seg = localPath[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === localPath.length - 1;
      const target = key && last ? pair.key : (pair.value ?? pair.key);
      node = target;
      offset = rangeStart(target) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      offset = rangeStart(item) ?? offset;
    } else {
      break;
    }
  }
  const pos: SourcePosition = { file, localPath };
  if (offset !== undefined) {
    const lp = lines.linePos(offset);
    pos.line = lp.line;
    pos.column = lp.col;
  }
  return pos;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
