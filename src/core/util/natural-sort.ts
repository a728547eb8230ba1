/**
 * Natural order of names: "app-2" before "app-10". Hand-written instead of Intl.Collator
 * because allocation order must not depend on the ICU version or locale data of a machine.
 * Runs of digits compare by value (then by length, so "01" sorts after "1"); everything else
 * by code unit. Allocation-free: it sorts tens of thousands of names in the scheduler.
 */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      // Compare the digit runs by value: skip leading zeros, then longer is larger.
      let si = i;
      let sj = j;
      while (si < a.length && a.charCodeAt(si) === 48) si++;
      while (sj < b.length && b.charCodeAt(sj) === 48) sj++;
      let ei = si;
      let ej = sj;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      const la = ei - si;
      const lb = ej - sj;
      if (la !== lb) return la < lb ? -1 : 1;
      for (let k = 0; k < la; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      // Same value: fewer leading zeros first.
      const za = si - i;
      const zb = sj - j;
      if (za !== zb) return za < zb ? -1 : 1;
      i = ei;
      j = ej;
    } else {
      if (ca !== cb) return ca < cb ? -1 : 1;
      i++;
      j++;
    }
  }
  if (a.length - i !== b.length - j) return a.length - i < b.length - j ? -1 : 1;
  return a < b ? -1 : 1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
