// CodeMirror 6 set up for Markdown: highlighting, history, `[[` completion of note titles,
// and colours taken from the app's CSS variables (so both themes apply).
import { EditorState, StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, keymap, drawSelection, highlightActiveLine, placeholder } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdown, markdownLanguage } from "@codemirror/lang-markdown";
import { HighlightStyle, syntaxHighlighting, indentOnInput, bracketMatching } from "@codemirror/language";
import { autocompletion, completionKeymap, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { tags as t } from "@lezer/highlight";
import { SHORTCUTS, run as runFormat } from "./format-md";

const highlight = HighlightStyle.define([
  { tag: t.heading1, fontSize: "1.45em", fontWeight: "700" },
  { tag: t.heading2, fontSize: "1.25em", fontWeight: "700" },
  { tag: t.heading3, fontSize: "1.1em", fontWeight: "700" },
  { tag: [t.heading4, t.heading5, t.heading6], fontWeight: "700" },
  { tag: t.strong, fontWeight: "700" },
  { tag: t.emphasis, fontStyle: "italic" },
  { tag: t.strikethrough, textDecoration: "line-through" },
  { tag: t.link, color: "var(--accent)" },
  { tag: t.url, color: "var(--text-faint)" },
  { tag: t.monospace, fontFamily: "var(--font-mono)", color: "var(--danger)" },
  { tag: t.quote, color: "var(--text-soft)", fontStyle: "italic" },
  { tag: [t.processingInstruction, t.meta, t.contentSeparator], color: "var(--text-faint)" },
  { tag: t.list, color: "var(--accent)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "15px", backgroundColor: "transparent", color: "var(--text)" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--font-ui)", lineHeight: "1.65", overflow: "auto" },
  ".cm-content": { padding: "18px 28px 40vh", maxWidth: "760px", caretColor: "var(--accent)" },
  ".cm-line": { padding: "0" },
  ".cm-activeLine": { backgroundColor: "transparent" },
  ".cm-cursor": { borderLeftColor: "var(--accent)", borderLeftWidth: "2px" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--accent-soft) !important",
  },
  ".cm-placeholder": { color: "var(--text-faint)" },
  ".cm-find-match": { backgroundColor: "var(--mark)", borderRadius: "2px" },
  ".cm-find-current": { backgroundColor: "var(--mark-current)", outline: "1px solid var(--mark-edge)" },
  ".cm-tooltip": {
    backgroundColor: "var(--bg-raised)",
    border: "1px solid var(--border)",
    borderRadius: "6px",
    boxShadow: "var(--shadow)",
  },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": {
    backgroundColor: "var(--accent)",
    color: "var(--accent-text)",
  },
});

/** What find in the note has found: ranges in UTF-16 offsets (as the backend gives them), and
 * the one stepped to (-1 for none). */
export interface Found {
  ranges: [number, number][];
  current: number;
  /** Whether to select the current match and scroll to it (not when the text was edited). */
  reveal: boolean;
}

const setFound = StateEffect.define<Found>();
const matchMark = Decoration.mark({ class: "cm-find-match" });
const currentMark = Decoration.mark({ class: "cm-find-match cm-find-current" });

/** The marks of find in the note; edits move them until the next find replaces them. */
const foundField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setFound)) continue;
      const len = tr.state.doc.length;
      const ranges = e.value.ranges
        .map(([from, to], i) => ({ from: Math.min(from, len), to: Math.min(to, len), i }))
        .filter((r) => r.from < r.to);
      marks = Decoration.set(ranges.map((r) => (r.i === e.value.current ? currentMark : matchMark).range(r.from, r.to)));
    }
    return marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Shows what find found, and brings the current match into view (the focus stays where it is). */
export function showFound(view: EditorView, found: Found): void {
  const cur = found.ranges[found.current];
  const len = view.state.doc.length;
  const effects: StateEffect<unknown>[] = [setFound.of(found)];
  const reveal = found.reveal && cur && cur[1] <= len;
  if (reveal) effects.push(EditorView.scrollIntoView(cur[0], { y: "center" }));
  view.dispatch({ effects, selection: reveal ? { anchor: cur[0], head: cur[1] } : undefined });
}

/** Completes `[[partial title` with the titles `titles(partial)` returns. */
export function wikiLinkCompletion(titles: (prefix: string) => Promise<string[]>) {
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const m = ctx.matchBefore(/\[\[[^\]\n|]*$/);
    if (!m) return null;
    const typed = m.text.slice(2);
    const after = ctx.state.sliceDoc(ctx.pos, ctx.pos + 2);
    const found = await titles(typed);
    return {
      from: m.from + 2,
      filter: false,
      options: found
        .slice(0, 30)
        .map((title) => ({ label: title, apply: after === "]]" ? title : `${title}]]`, type: "text" })),
    };
  };
}

export interface EditorOptions {
  doc: string;
  readOnly: boolean;
  onChange: (text: string) => void;
  titles: (prefix: string) => Promise<string[]>;
}

/** A note's editor: one CodeMirror view, kept while notes are opened in it one after another. */
export interface NoteEditor {
  view: EditorView;
  /** Shows another note (or the same one anew): its text, no undo history, at the top. */
  load(doc: string, readOnly: boolean): void;
}

export function createEditor(parent: HTMLElement, o: EditorOptions): NoteEditor {
  const common: Extension[] = [
    history(),
    drawSelection(),
    highlightActiveLine(),
    indentOnInput(),
    bracketMatching(),
    EditorView.lineWrapping,
    markdown({ base: markdownLanguage }),
    syntaxHighlighting(highlight),
    autocompletion({ override: [wikiLinkCompletion(o.titles)], icons: false }),
    keymap.of([
      ...SHORTCUTS.map((s) => ({ key: s.key, run: (v: EditorView) => runFormat(v, s.format), preventDefault: true })),
      ...completionKeymap,
      ...defaultKeymap,
      ...historyKeymap,
      indentWithTab,
    ]),
    placeholder("Start writing… Markdown works, and [[ links to another note."),
    theme,
    foundField,
    EditorView.contentAttributes.of({ "aria-label": "Note text", spellcheck: "true" }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) o.onChange(u.state.doc.toString());
    }),
  ];
  const state = (doc: string, readOnly: boolean) =>
    EditorState.create({ doc, extensions: [...common, EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)] });
  const view = new EditorView({ parent, state: state(o.doc, o.readOnly) });
  return {
    view,
    load(doc, readOnly) {
      view.setState(state(doc, readOnly));
      view.scrollDOM.scrollTop = 0;
    },
  };
}
