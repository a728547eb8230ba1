/**
 * Reading one fleet file's YAML, fast when it is plain.
 *
 * Two readers, one result. js-yaml (YAML 1.2 core schema, merge keys on, no aliases, no
 * repeated keys) turns a plain file into data about ten times faster than the `yaml`
 * library builds its document of nodes with positions (18 MB: about 1 s against 12 s).
 * That document is still what knows lines and columns, what reports syntax errors in
 * hafen's words, and what limits aliases (maxAliasCount) — so it is built only when needed:
 * when js-yaml refuses the file (any syntax error, repeated key, alias, unknown tag, deep
 * nesting) or when a problem has to name a position. Both readers give the same data for
 * every file js-yaml accepts (tested on generated and hand-made fleets).
 */
import { CORE_SCHEMA, defineMappingTag, loadAll, mergeTag } from 'js-yaml';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';

/** A mapping key as the `yaml` library names it in plain data: null is "", the rest its text. */
const keyText = (key: unknown): string => (key === null ? '' : String(key));

/** Mappings as plain objects with the `yaml` library's key names; complex keys are left to it. */
const yamlLikeMap = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  addPair: (map, key, value) => {
    if (key !== null && typeof key === 'object') return 'a complex key';
    const name = keyText(key);
    if (name === '__proto__') Object.defineProperty(map, name, { value, writable: true, enumerable: true, configurable: true });
    else map[name] = value;
    return '';
  },
  has: (map, key) => Object.hasOwn(map, keyText(key)),
  keys: (map) => Object.keys(map),
  get: (map, key) => map[keyText(key)],
  identify: () => false,
});

/**
 * A block scalar with an explicit indentation indicator (`|2`, `>-1`): the two libraries
 * disagree on some of them (`|1-` at the top level), so such a file is left to `yaml`. The
 * test is loose — the same characters inside a quoted string also send a file there.
 */
const INDENTATION_INDICATOR = /(?:^|\s)[|>][+-]?[1-9]/;

const FAST_SCHEMA = CORE_SCHEMA.withTags(mergeTag, yamlLikeMap);

/**
 * A fleet file's text and what was read from it, reusable across validations while the text
 * is unchanged (the controller validates the same files on every plan).
 */
export interface ParsedFile {
  text: string;
  /** False once js-yaml refused the file: only the `yaml` reader is used for it from then on. */
  plain?: boolean;
  /** The `yaml` library's documents, built on first need. Only read, never changed. */
  nodes?: YamlNodes;
}

export interface YamlNodes {
  lines: LineCounter;
  docs: Document.Parsed[];
}

/** The cached entry for `text`, or a new one when there is none or the text changed. */
export function parsedFile(name: string, text: string, cache?: Map<string, ParsedFile>): ParsedFile {
  const known = cache?.get(name);
  if (known?.text === text) return known;
  const file: ParsedFile = { text };
  cache?.set(name, file);
  return file;
}

/**
 * The file's documents as data when js-yaml reads it as a plain file, else undefined (then
 * the caller reads it with {@link yamlNodes}, which reports what is wrong with it). Fresh
 * objects on every call: callers may keep and change them.
 */
export function plainData(file: ParsedFile): unknown[] | undefined {
  if (file.plain === undefined && INDENTATION_INDICATOR.test(file.text)) file.plain = false;
  if (file.plain === false) return undefined;
  try {
    const docs = loadAll(file.text, { schema: FAST_SCHEMA, json: false, maxAliases: 0 });
    file.plain = true;
    return docs;
  } catch {
    file.plain = false;
    return undefined;
  }
}

/** The `yaml` library's documents of the file, with their line counter; parsed once. */
export function yamlNodes(file: ParsedFile): YamlNodes {
  if (!file.nodes) {
    const lines = new LineCounter();
    const all = parseAllDocuments(file.text, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false });
    file.nodes = { lines, docs: Array.isArray(all) ? all : [] };
  }
  return file.nodes;
}
