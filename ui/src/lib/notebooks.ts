// Notebooks nest by their names: "Work/Plans" is Plans inside Work. The sidebar shows them as
// a tree, each row counting the notes in it and in the notebooks inside it.
import type { NameCount } from "../generated/api";

export interface NotebookRow {
  /** The whole name ("Work/Plans"), as the notes hold it. */
  name: string;
  /** The last part ("Plans"), as the tree shows it. */
  label: string;
  /** How deep: 0 for a notebook inside no other. */
  depth: number;
  /** Notes in it and in the notebooks inside it. */
  count: number;
}

/** The rows of the tree, each parent before its children, siblings in name order. A parent
 * that holds no note of its own is listed all the same. */
export function notebookTree(notebooks: NameCount[]): NotebookRow[] {
  const counts = new Map<string, number>();
  for (const nb of notebooks) {
    const parts = nb.name.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const name = parts.slice(0, i).join("/");
      counts.set(name, (counts.get(name) ?? 0) + nb.count);
    }
  }
  const names = [...counts.keys()].sort((a, b) => {
    const pa = a.split("/");
    const pb = b.split("/");
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      const c = pa[i].localeCompare(pb[i]);
      if (c !== 0) return c;
    }
    return pa.length - pb.length;
  });
  return names.map((name) => {
    const parts = name.split("/");
    return { name, label: parts[parts.length - 1], depth: parts.length - 1, count: counts.get(name) ?? 0 };
  });
}
