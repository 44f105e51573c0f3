// Everything the UI knows while the vault is unlocked. One Workspace exists per unlock; locking
// drops it whole (App sets it to null), so no note text outlives the keys in Rust.
import { api, change, CofferError } from "./api";
import type { MessageHit, NameCount, Note, NoteSummary, SearchHit, Settlement, SyncStatus } from "../generated/api";

export type View =
  | { kind: "all" }
  | { kind: "pinned" }
  | { kind: "trash" }
  | { kind: "tag"; name: string }
  | { kind: "notebook"; name: string };

/** A notebook name as Rust keeps it: each part of "Work / Plans" trimmed, empty parts dropped. */
export function cleanNotebook(name: string): string {
  return name
    .split("/")
    .map((p) => p.split(/\s+/).filter(Boolean).join(" "))
    .filter(Boolean)
    .join("/");
}

/** Today here (the person's time zone), YYYY-MM-DD. */
// A plain Date, read once: nothing here is reactive.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
export function localDay(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Whether `notebook` is `name` or inside it. */
export function inNotebook(notebook: string, name: string): boolean {
  return notebook === name || notebook.startsWith(`${name}/`);
}

export type SaveState = "saved" | "dirty" | "saving" | "error";
export type Mode = "edit" | "split" | "preview";

const SAVE_DELAY_MS = 600;

export function errorText(e: unknown): string {
  return e instanceof CofferError ? e.message : String(e);
}

/** Sets the performance mark `name` once the next frame has been painted, keeping only the
 * latest one. scripts/bench-app reads these marks through WebDriver; they hold no note text. */
export function markPainted(name: string): void {
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.clearMarks(name);
      performance.mark(name);
    }),
  );
}

export class Workspace {
  view = $state<View>({ kind: "all" });
  notes = $state<NoteSummary[]>([]);
  /** Every live note, for `[[` completion and the command palette. */
  all = $state<NoteSummary[]>([]);
  trashCount = $state(0);
  tags = $state<NameCount[]>([]);
  notebooks = $state<NameCount[]>([]);
  /** The notes in the notebook "Templates" (Rust decides which), as of the palette's last
   * opening: asked for then, not after every save. */
  templates = $state<NoteSummary[]>([]);

  async loadTemplates(): Promise<void> {
    this.templates = await api.templates();
  }
  query = $state("");
  hits = $state<SearchHit[] | null>(null);
  /** The messages the search found: their own group below the notes. */
  messageHits = $state<MessageHit[]>([]);
  current = $state<Note | null>(null);
  draftTitle = $state("");
  draftBody = $state("");
  save = $state<SaveState>("saved");
  saveError = $state("");
  mode = $state<Mode>("split");
  /** Changes when the editor must be rebuilt because the text was replaced from outside. */
  editorKey = $state(0);
  notice = $state("");
  /** Sync's status from Rust. It names conflicting notes (plaintext), so it lives here and is
   * dropped with the workspace on lock. */
  sync = $state<SyncStatus | null>(null);

  private timer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> | null = null;
  private searchSeq = 0;

  async refresh(): Promise<void> {
    const v = this.view;
    const filter = {
      tag: v.kind === "tag" ? v.name : null,
      notebook: v.kind === "notebook" ? v.name : null,
      pinned: v.kind === "pinned",
      trash: v.kind === "trash",
    };
    // The view of all notes is the same list as `all`: asked for once (10,000 notes are MBs).
    const [listed, all, trash, tags, notebooks] = await Promise.all([
      v.kind === "all" ? null : api.list(filter),
      api.list({ tag: null, notebook: null, pinned: false, trash: false }),
      api.list({ tag: null, notebook: null, pinned: false, trash: true }),
      api.tags(),
      api.notebooks(),
    ]);
    this.notes = listed ?? all;
    this.all = all;
    this.trashCount = trash.length;
    this.tags = tags;
    this.notebooks = notebooks;
    markPainted("coffer:list-painted");
    if (this.query.trim()) await this.runSearch();
  }

  async setView(v: View): Promise<void> {
    this.view = v;
    this.query = "";
    this.hits = null;
    await this.refresh();
  }

  async setQuery(q: string): Promise<void> {
    this.query = q;
    await this.runSearch();
  }

  /** The search shown run again (more may be found: attachments read since). */
  async searchAgain(): Promise<void> {
    if (this.query.trim()) await this.runSearch();
  }

  private async runSearch(): Promise<void> {
    const q = this.query;
    const seq = ++this.searchSeq;
    if (!q.trim()) {
      this.hits = null;
      this.messageHits = [];
      markPainted("coffer:search-painted");
      return;
    }
    // Messages failing to load must not stop notes being found: their group is then empty.
    const [hits, messageHits] = await Promise.all([api.search(q), api.searchMessages(q).catch(() => [])]);
    if (seq === this.searchSeq) {
      this.hits = hits;
      this.messageHits = messageHits;
      markPainted("coffer:search-painted");
    }
  }

  async open(id: string): Promise<void> {
    await this.flush();
    const note = await api.note(id);
    // For scripts/bench-app: where the time to open a note goes (Rust and the IPC, or the page).
    performance.clearMarks("coffer:note-fetched");
    performance.mark("coffer:note-fetched");
    this.current = note;
    this.draftTitle = note.title;
    this.draftBody = note.body;
    this.editorKey++;
    this.save = "saved";
    this.saveError = "";
    markPainted("coffer:note-painted");
  }

  close(): void {
    this.current = null;
    this.draftTitle = "";
    this.draftBody = "";
  }

  async newNote(title = ""): Promise<string> {
    await this.flush();
    const v = this.view;
    const id = await api.create({
      title,
      body: "",
      tags: v.kind === "tag" ? [v.name] : [],
      notebook: v.kind === "notebook" ? v.name : null,
      pinned: v.kind === "pinned",
    });
    if (v.kind === "trash") this.view = { kind: "all" };
    this.query = "";
    this.hits = null;
    await this.refresh();
    await this.open(id);
    return id;
  }

  setTitle(t: string): void {
    this.draftTitle = t;
    this.markDirty();
  }

  setBody(b: string): void {
    this.draftBody = b;
    this.markDirty();
  }

  /** Replaces the text from outside the editor (a task ticked in the preview): the editor
   *  is made again with it. */
  replaceBody(b: string): void {
    this.setBody(b);
    this.editorKey++;
  }

  private markDirty(): void {
    this.save = "dirty";
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), SAVE_DELAY_MS);
  }

  /** Saves pending edits now (and waits for a save already under way). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    while (this.saving) await this.saving;
    const n = this.current;
    if (this.save !== "dirty" || !n) return;
    const title = this.draftTitle;
    const body = this.draftBody;
    this.save = "saving";
    this.saving = (async () => {
      try {
        const revision = await api.update(n.id, change({ base: n.revision, title, body }));
        if (this.current?.id === n.id) {
          this.current.revision = revision;
          this.current.body = body;
          this.current.title = title.trim() || "Untitled";
          this.current.updated = Date.now();
        }
        if (this.save === "saving") this.save = "saved";
        await this.refresh();
        // Saved on top of a version no longer the latest (another window saved meanwhile):
        // both are kept, and the note says so.
        const listed = this.all.find((s) => s.id === n.id);
        if (listed?.conflict && this.current?.id === n.id && this.current.conflicts.length === 0) {
          const fresh = await api.note(n.id);
          if (this.current?.id === n.id) this.current.conflicts = fresh.conflicts;
        }
      } catch (e) {
        this.save = "error";
        this.saveError = errorText(e);
      }
    })();
    try {
      await this.saving;
    } finally {
      this.saving = null;
    }
  }

  /** Applies a change to the open note's metadata (tags, notebook, pin) at once. */
  async applyMeta(fields: Parameters<typeof change>[0]): Promise<void> {
    const n = this.current;
    if (!n) return;
    await this.flush();
    // On top of the version shown: with a conflict, the other version stays to be settled
    // (with no base, the change would stand in for both).
    // (After the flush: the revision a saved draft made.)
    await api.update(n.id, change({ ...fields, base: this.current?.revision ?? n.revision }));
    await this.reopen();
  }

  async reopen(): Promise<void> {
    const n = this.current;
    await this.refresh();
    if (n) {
      const fresh = await api.note(n.id);
      if (fresh.body !== this.draftBody) this.editorKey++;
      this.current = fresh;
      this.draftTitle = fresh.title;
      this.draftBody = fresh.body;
      this.save = "saved";
    }
  }

  async trashCurrent(): Promise<void> {
    const n = this.current;
    if (!n) return;
    await this.flush();
    await api.trash(n.id);
    this.close();
    await this.refresh();
    this.notice = `“${n.title}” moved to the trash.`;
  }

  async restore(id: string): Promise<void> {
    await api.restore(id);
    await this.refresh();
    if (this.current?.id === id) await this.open(id);
  }

  async purge(id: string): Promise<void> {
    await api.purge(id);
    if (this.current?.id === id) this.close();
    await this.refresh();
  }

  /** Takes a new sync status; when the sync brought changes, what `changedElsewhere` does. */
  async applySync(status: SyncStatus): Promise<void> {
    const before = this.sync?.changes;
    this.sync = status;
    if (before === undefined || status.changes === before) return;
    await this.changedElsewhere();
  }

  /** Notes were changed elsewhere (a sync, another window): reloads the lists and, if it has
   * no unsaved edits, the open note (edits in progress are never replaced: saving them makes a
   * second version, to be brought together as a conflict). */
  async changedElsewhere(): Promise<void> {
    await this.refresh();
    const n = this.current;
    if (!n || this.save !== "saved") return;
    const fresh = await api.note(n.id).catch(() => null);
    if (this.current?.id !== n.id || this.save !== "saved") return;
    if (!fresh) {
      // Purged (in another window): nothing left to show.
      this.close();
      return;
    }
    if (fresh.revision !== n.revision || fresh.conflicts.join() !== n.conflicts.join()) {
      this.current = fresh;
      this.draftTitle = fresh.title;
      this.draftBody = fresh.body;
      this.editorKey++;
    }
  }

  /** A new note from a template, filed in the notebook shown (if one is), and opened. */
  async newFromTemplate(template: string): Promise<void> {
    await this.flush();
    const v = this.view;
    const id = await api.createFromTemplate(template, "", localDay(), v.kind === "notebook" ? v.name : null);
    await this.refresh();
    await this.open(id);
  }

  /** Today's note (made the first time), opened. */
  async openDailyNote(): Promise<void> {
    await this.flush();
    const id = await api.dailyNote(localDay());
    await this.refresh();
    await this.open(id);
  }

  /** Renames a notebook and the ones inside it; a view of one of them follows the rename. */
  async renameNotebook(old: string, name: string): Promise<number> {
    await this.flush();
    const moved = await api.renameNotebook(old, name);
    const v = this.view;
    if (v.kind === "notebook" && inNotebook(v.name, old)) {
      this.view = { kind: "notebook", name: cleanNotebook(name) + v.name.slice(old.length) };
    }
    await this.reopen();
    return moved;
  }

  /** Moves the notes of a notebook (and of those inside it) to the trash; returns how many. */
  async removeNotebook(name: string): Promise<number> {
    await this.flush();
    const trashed = await api.removeNotebook(name);
    const v = this.view;
    if (v.kind === "notebook" && inNotebook(v.name, name)) this.view = { kind: "all" };
    await this.reopen();
    return trashed;
  }

  /** Files a note in a notebook ("" takes it out of any), on top of its current version. */
  async moveNote(id: string, notebook: string): Promise<void> {
    await this.flush();
    const n = await api.note(id);
    await api.update(id, change({ base: n.revision, notebook: notebook.trim() === "" ? null : notebook }));
    await this.reopen();
  }

  /** Settles a conflict with the title and body the person made (both versions stay in the
   * history as the result's parents). */
  async settleConflict(id: string, settlement: Settlement): Promise<void> {
    await this.flush();
    await api.settleConflict(id, settlement);
    await this.settled(id);
  }

  /** After a conflict was settled: the note shown again, and the banner forgets the note
   * (until sync's next status says otherwise) unless more versions still wait. */
  private async settled(id: string): Promise<void> {
    if (this.current?.id === id) await this.open(id);
    await this.refresh();
    const left = (await api.note(id)).conflicts.length > 0;
    if (this.sync && !left) this.sync = { ...this.sync, conflicts: this.sync.conflicts.filter((c) => c.id !== id) };
  }

  /** Settles a conflict by keeping both versions: the other becomes a note of its own. */
  async keepBoth(id: string, shown: string, other: string): Promise<string> {
    await this.flush();
    const copy = await api.keepBoth(id, shown, other);
    await this.settled(id);
    return copy;
  }

  /** Notes whose title starts with or holds `prefix` (under the search's folding rules: case,
   * accents), for `[[` completion; matched in Rust. */
  async titlesMatching(prefix: string): Promise<string[]> {
    try {
      return await api.titlesMatching(prefix);
    } catch {
      return [];
    }
  }
}
