import { describe, expect, it } from "vitest";
import { diffLines } from "./diff";

const kinds = (a: string, b: string) => diffLines(a, b).map((l) => `${l.kind[0]} ${l.text}`);

describe("diffLines", () => {
  it("marks nothing when the texts are equal", () => {
    expect(kinds("a\nb", "a\nb")).toEqual(["s a", "s b"]);
  });

  it("shows a changed line as removed, then added, between unchanged ones", () => {
    expect(kinds("one\ntwo\nthree", "one\n2\nthree")).toEqual(["s one", "d two", "a 2", "s three"]);
  });

  it("aligns insertions and deletions in the middle", () => {
    expect(kinds("a\nb\nc\nd", "a\nc\nd\ne")).toEqual(["s a", "d b", "s c", "s d", "a e"]);
  });

  it("rebuilds both texts exactly", () => {
    const a = "# Title\n\nfirst\nsecond\n\nthird\n";
    const b = "# Title!\n\nfirst\nsecond and more\nnew\n\nthird\n";
    const d = diffLines(a, b);
    const old = d.filter((l) => l.kind !== "add").map((l) => l.text).join("\n");
    const now = d.filter((l) => l.kind !== "del").map((l) => l.text).join("\n");
    expect(old).toBe(a);
    expect(now).toBe(b);
  });

  it("shows a very large change as a replacement instead of aligning it", () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`).join("\n");
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`).join("\n");
    const d = diffLines(a, b);
    expect(d.filter((l) => l.kind === "del")).toHaveLength(3000);
    expect(d.filter((l) => l.kind === "add")).toHaveLength(3000);
    expect(d.findIndex((l) => l.kind === "add")).toBe(3000);
  });

  it("keeps hostile text as plain data", () => {
    const evil = '<img src=x onerror="alert(1)">';
    expect(diffLines("", evil)).toEqual([
      { kind: "del", text: "" },
      { kind: "add", text: evil },
    ]);
  });
});
