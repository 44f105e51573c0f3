import { describe, expect, it } from "vitest";
import { notebookTree } from "./notebooks";
import { cleanNotebook, inNotebook } from "./workspace.svelte";

describe("notebookTree", () => {
  it("puts each notebook under its parent and counts what is inside", () => {
    const rows = notebookTree([
      { name: "Work/Plans", count: 2 },
      { name: "Home", count: 1 },
      { name: "Work", count: 3 },
      { name: "Archive/2025/Q1", count: 4 },
      { name: "Workshop", count: 1 },
    ]);
    expect(rows.map((r) => [r.name, r.label, r.depth, r.count])).toEqual([
      ["Archive", "Archive", 0, 4],
      ["Archive/2025", "2025", 1, 4],
      ["Archive/2025/Q1", "Q1", 2, 4],
      ["Home", "Home", 0, 1],
      ["Work", "Work", 0, 5],
      ["Work/Plans", "Plans", 1, 2],
      ["Workshop", "Workshop", 0, 1],
    ]);
  });
});

describe("notebook names", () => {
  it("are cleaned as Rust cleans them, and hold the notebooks inside them only", () => {
    expect(cleanNotebook(" Work /  My  Plans/ ")).toBe("Work/My Plans");
    expect(inNotebook("Work/Plans", "Work")).toBe(true);
    expect(inNotebook("Workshop", "Work")).toBe(false);
  });
});

describe("localDay", () => {
  it("is the date where the person is, YYYY-MM-DD", async () => {
    const { localDay } = await import("./workspace.svelte");
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
    expect(localDay(new Date(2026, 11, 31, 0, 1))).toBe("2026-12-31");
  });
});
