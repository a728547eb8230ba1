/** Printing fleet problems the way compilers do: file:line:column: severity: path: message [CODE]. */
import type { Problem } from '../core/fleet/problems.js';

export function problemLine(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined).join(':');
  const path = p.path ? `${p.path}: ` : '';
  return `${where ? `${where}: ` : ''}${p.severity}: ${path}${p.message} [${p.code}]`;
}

export function countLine(problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const files = new Set(problems.map((p) => p.file).filter(Boolean)).size;
  const parts = [`${errors} error${errors === 1 ? '' : 's'}`];
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${parts.join(', ')}${files > 1 ? ` in ${files} files` : ''}`;
}

export function problemsText(problems: readonly Problem[]): string {
  return problems.map((p) => `${problemLine(p)}\n`).join('');
}
