/**
 * Certificates per host name from a directory, chosen by SNI: `shop.example.com.crt` with
 * `shop.example.com.key` serves shop.example.com; `_.example.com.crt` serves any name one label
 * below example.com (the "_" stands for the "*", which file names avoid). The directory is read
 * again when it changes; a pair that does not load is reported and the others keep working.
 * (ACME can fill the same directory later.)
 */
import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';

export interface CertProblem {
  file: string;
  message: string;
}

/** A certificate pair of the directory: the name it serves ("*.example.com" for "_.example.com"), its PEM texts and context. */
export interface CertPair {
  name: string;
  /** The file names' common part ("_.example.com"). */
  stem: string;
  cert: string;
  key: string;
  context: tls.SecureContext;
}

/** Every pair of `dir` that loads (sorted by file name), and the ones that do not, by file. Key material never appears in a message. */
export function readPairs(dir: string): { pairs: CertPair[]; problems: CertProblem[] } {
  const pairs: CertPair[] = [];
  const problems: CertProblem[] = [];
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    return { pairs, problems: [{ file: dir, message: (err as Error).message }] };
  }
  for (const file of files.filter((f) => f.endsWith('.crt')).sort()) {
    const stem = file.slice(0, -4);
    const name = (stem.startsWith('_.') ? `*${stem.slice(1)}` : stem).toLowerCase();
    try {
      const cert = readFileSync(join(dir, file), 'utf8');
      const key = readFileSync(join(dir, `${stem}.key`), 'utf8');
      pairs.push({ name, stem, cert, key, context: tls.createSecureContext({ cert, key }) });
    } catch (err) {
      problems.push({ file, message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${stem}.key beside it` : (err as Error).message });
    }
  }
  return { pairs, problems };
}

export class CertStore {
  private contexts = new Map<string, tls.SecureContext>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly dir: string,
    private readonly onReload: (names: string[], problems: CertProblem[]) => void = () => {},
  ) {
    this.load();
  }

  /** Reads every certificate pair; returns what could not be loaded. A directory that cannot be read keeps the pairs loaded before. */
  load(): CertProblem[] {
    const { pairs, problems } = readPairs(this.dir);
    if (pairs.length === 0 && problems.length === 1 && problems[0]!.file === this.dir) {
      this.onReload([...this.contexts.keys()], problems);
      return problems;
    }
    this.contexts = new Map(pairs.map((p) => [p.name, p.context]));
    this.onReload([...this.contexts.keys()], problems);
    return problems;
  }

  /** Reloads (debounced) whenever the directory changes. */
  watch(): void {
    this.watcher = watch(this.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.load(), 200);
    });
  }

  /** The context for an SNI name: exact, then the wildcard one label up. */
  context(servername: string | undefined): tls.SecureContext | undefined {
    if (!servername) return undefined;
    const name = servername.toLowerCase();
    const exact = this.contexts.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.contexts.get(`*${name.slice(dot)}`) : undefined;
  }

  get names(): string[] {
    return [...this.contexts.keys()];
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }
}
