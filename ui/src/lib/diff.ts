// A line diff (longest common subsequence) for the revision history view.

export interface DiffLine {
  kind: "same" | "add" | "del";
  text: string;
}

/** Lines of `a` and `b` with what was removed from `a` and added in `b`. */
export function diffLines(a: string, b: string): DiffLine[] {
  const x = a.split("\n");
  const y = b.split("\n");
  // Trim the common start and end: most edits are small.
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const xs = x.slice(start, endX);
  const ys = y.slice(start, endY);
  const n = xs.length;
  const m = ys.length;
  const out: DiffLine[] = x.slice(0, start).map((text) => ({ kind: "same", text }));
  if (n * m > 4_000_000) {
    // Too big to align line by line: show it as a replacement.
    xs.forEach((text) => out.push({ kind: "del", text }));
    ys.forEach((text) => out.push({ kind: "add", text }));
  } else {
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = xs[i] === ys[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xs[i] === ys[j]) {
        out.push({ kind: "same", text: xs[i] });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        // Removed lines first, then what replaced them.
        out.push({ kind: "del", text: xs[i] });
        i++;
      } else {
        out.push({ kind: "add", text: ys[j] });
        j++;
      }
    }
  }
  x.slice(endX).forEach((text) => out.push({ kind: "same", text }));
  return out;
}
