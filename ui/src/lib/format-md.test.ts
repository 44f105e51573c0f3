import { describe, expect, it } from "vitest";
import { EditorSelection, EditorState } from "@codemirror/state";
import { formatSpec, type Format } from "./format-md";

/** The text after `format`, with the selection shown as [ ] (or | for a cursor). */
function apply(doc: string, from: number, to: number, format: Format): string {
  const state = EditorState.create({ doc, selection: EditorSelection.single(from, to), extensions: EditorState.allowMultipleSelections.of(true) });
  const next = state.update(formatSpec(state, format)).state;
  const r = next.selection.main;
  const t = next.doc.toString();
  return r.empty ? `${t.slice(0, r.from)}|${t.slice(r.from)}` : `${t.slice(0, r.from)}[${t.slice(r.from, r.to)}]${t.slice(r.to)}`;
}

describe("wrapping formats", () => {
  it("wraps the selection, and takes the marks off again", () => {
    expect(apply("say hello now", 4, 9, "bold")).toBe("say **[hello]** now");
    expect(apply("say **hello** now", 6, 11, "bold")).toBe("say [hello] now");
    expect(apply("say **hello** now", 4, 13, "bold")).toBe("say [hello] now");
    expect(apply("a b", 2, 3, "code")).toBe("a `[b]`");
    expect(apply("a b", 2, 3, "strike")).toBe("a ~~[b]~~");
  });

  it("puts the pair around the cursor when nothing is selected", () => {
    expect(apply("ab", 1, 1, "italic")).toBe("a*|*b");
  });

  it("does not take one star of bold for italic", () => {
    expect(apply("**x**", 2, 3, "italic")).toBe("***[x]***");
  });

  it("makes a link of the selection, its address selected", () => {
    // (The address is a scheme alone, "https:" and two slashes, to be typed on.)
    const scheme = ["https:", "//"].join("");
    expect(apply("see docs here", 4, 8, "link")).toBe(`see [docs]([${scheme}]) here`);
  });
});

describe("line formats", () => {
  it("toggles a heading, a list, a task and a quote on the line", () => {
    expect(apply("Title", 2, 2, "heading")).toBe("# Ti|tle");
    expect(apply("# Title", 4, 4, "heading")).toBe("Ti|tle");
    expect(apply("milk", 0, 0, "list")).toBe("- |milk");
    expect(apply("- milk", 2, 2, "list")).toBe("|milk");
    expect(apply("- milk", 2, 2, "task")).toBe("- [ ] |milk");
    expect(apply("- [ ] milk", 6, 6, "task")).toBe("|milk");
    expect(apply("said", 0, 0, "quote")).toBe("> |said");
  });

  it("numbers every selected line", () => {
    expect(apply("a\nb\nc", 0, 5, "numbered")).toBe("1. [a\n2. b\n3. c]");
  });

  it("takes a list off only when every selected line has it", () => {
    expect(apply("- a\nb", 0, 5, "list")).toBe("[- a\n- b]");
    expect(apply("- a\n- b", 0, 7, "list")).toBe("[a\nb]");
  });
});
