// Markdown formatting commands for the editor (shortcuts and the toolbar): each toggles, so the
// same key takes the formatting off again. Pure functions of the editor state (tested without a
// window); `run` applies one to a view.
import { EditorSelection, type EditorState, type TransactionSpec } from "@codemirror/state";
import type { EditorView } from "@codemirror/view";

export type Format = "bold" | "italic" | "code" | "strike" | "link" | "heading" | "list" | "numbered" | "task" | "quote";

const WRAPS: Partial<Record<Format, string>> = { bold: "**", italic: "*", code: "`", strike: "~~" };
const PREFIXES: Partial<Record<Format, RegExp>> = {
  heading: /^#{1,6} /,
  list: /^[-*+] (?!\[[ xX]\] )/,
  numbered: /^\d+[.)] /,
  task: /^[-*+] \[[ xX]\] /,
  quote: /^> ?/,
};
const INSERTS: Partial<Record<Format, string>> = { heading: "# ", list: "- ", numbered: "1. ", task: "- [ ] ", quote: "> " };
// Any list or heading marker a line prefix replaces (a list item made a task, say).
const ANY_PREFIX = /^(#{1,6} |[-*+] \[[ xX]\] |[-*+] |\d+[.)] |> ?)/;

/** The change that applies `format` to the selection (toggling it). */
export function formatSpec(state: EditorState, format: Format): TransactionSpec {
  const wrap = WRAPS[format];
  if (wrap) return wrapSpec(state, wrap);
  if (format === "link") return linkSpec(state);
  return prefixSpec(state, format);
}

/** Wraps each selection in `mark` (`**`), or takes the mark away when it is already there
 *  (inside the selection or just around it). An empty selection gets the pair, the cursor
 *  between them. */
function wrapSpec(state: EditorState, mark: string): TransactionSpec {
  const n = mark.length;
  return state.changeByRange((r) => {
    const text = state.sliceDoc(r.from, r.to);
    const before = state.sliceDoc(r.from - n, r.from);
    const after = state.sliceDoc(r.to, r.to + n);
    // "*" must not take one star of a "**" pair for its own.
    const single = n === 1 && (state.sliceDoc(r.from - 2, r.from) === "**" || state.sliceDoc(r.to, r.to + 2) === "**");
    if (!r.empty && text.length >= 2 * n && text.startsWith(mark) && text.endsWith(mark)) {
      return {
        changes: [
          { from: r.from, to: r.from + n },
          { from: r.to - n, to: r.to },
        ],
        range: EditorSelection.range(r.from, r.to - 2 * n),
      };
    }
    if (before === mark && after === mark && !single) {
      return {
        changes: [
          { from: r.from - n, to: r.from },
          { from: r.to, to: r.to + n },
        ],
        range: EditorSelection.range(r.from - n, r.to - n),
      };
    }
    return {
      changes: [
        { from: r.from, insert: mark },
        { from: r.to, insert: mark },
      ],
      range: EditorSelection.range(r.from + n, r.to + n),
    };
  });
}

/** `[text](https://)` around the selection, the address selected to be typed over. */
function linkSpec(state: EditorState): TransactionSpec {
  return state.changeByRange((r) => {
    const text = state.sliceDoc(r.from, r.to) || "link";
    const url = "https://";
    const insert = `[${text}](${url})`;
    const start = r.from + text.length + 3;
    return {
      changes: { from: r.from, to: r.to, insert },
      range: EditorSelection.range(start, start + url.length),
    };
  });
}

/** Toggles a line prefix (`# `, `- `, `- [ ] `, `1. `, `> `) on every line the selection
 *  touches: off if every such line has it, else on (replacing another list or heading marker). */
function prefixSpec(state: EditorState, format: Format): TransactionSpec {
  const has = PREFIXES[format] as RegExp;
  const insert = INSERTS[format] as string;
  const lines = new Map<number, { from: number; text: string }>();
  for (const r of state.selection.ranges) {
    for (let pos = r.from; pos <= r.to; ) {
      const line = state.doc.lineAt(pos);
      lines.set(line.number, { from: line.from, text: line.text });
      pos = line.to + 1;
    }
  }
  const all = [...lines.values()];
  const off = all.every((l) => has.test(l.text));
  let number = 1;
  const changes = all.map((l) => {
    const current = (off ? has : ANY_PREFIX).exec(l.text);
    const len = current ? current[0].length : 0;
    if (off) return { from: l.from, to: l.from + len, insert: "" };
    const put = format === "numbered" ? `${number++}. ` : insert;
    return { from: l.from, to: l.from + len, insert: put };
  });
  return { changes, selection: state.selection.map(state.changes(changes), 1) };
}

/** Applies `format` to the view's selection; true (a key binding's "handled"). */
export function run(view: EditorView, format: Format): boolean {
  if (view.state.readOnly) return false;
  view.dispatch(formatSpec(view.state, format), { scrollIntoView: true, userEvent: "input.format" });
  view.focus();
  return true;
}

/** The editor's formatting shortcuts (also listed in the command palette and the toolbar). */
export const SHORTCUTS: { key: string; format: Format; label: string; hint: string }[] = [
  { key: "Mod-b", format: "bold", label: "Bold", hint: "Ctrl+B" },
  { key: "Mod-i", format: "italic", label: "Italic", hint: "Ctrl+I" },
  { key: "Mod-`", format: "code", label: "Code", hint: "Ctrl+`" },
  { key: "Mod-Shift-x", format: "strike", label: "Strikethrough", hint: "Ctrl+Shift+X" },
  { key: "Mod-Shift-k", format: "link", label: "Link", hint: "Ctrl+Shift+K" },
  { key: "Mod-Shift-h", format: "heading", label: "Heading", hint: "Ctrl+Shift+H" },
  { key: "Mod-Shift-8", format: "list", label: "Bulleted list", hint: "Ctrl+Shift+8" },
  { key: "Mod-Shift-7", format: "numbered", label: "Numbered list", hint: "Ctrl+Shift+7" },
  { key: "Mod-Shift-9", format: "task", label: "Task", hint: "Ctrl+Shift+9" },
  { key: "Mod-Shift-.", format: "quote", label: "Quote", hint: "Ctrl+Shift+." },
];
