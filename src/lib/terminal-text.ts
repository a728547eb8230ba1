/**
 * Text from elsewhere (a host's error, a token's name, an alert's title) made safe for a
 * terminal: control characters shown as escapes instead of acting (ESC sequences that clear the
 * screen or retitle the window, carriage returns that overwrite a line, bidi overrides that
 * reorder it). `forTerminal` keeps the output's own newlines and tabs; `oneLine` escapes those
 * too, for a field that must stay on its line.
 */
// C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /[\t\n\u2028\u2029]/g;

const escape = (c: string) => {
  const code = c.codePointAt(0)!;
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

export function forTerminal(text: string): string {
  return text.replace(CONTROLS, escape);
}

export function oneLine(text: string): string {
  return forTerminal(text).replace(LINE_BREAKS, escape);
}

/** Whether a name is printable text: nothing in it that `oneLine` would escape (control, line-break or bidi characters). */
export function printable(text: string): boolean {
  return oneLine(text) === text;
}
