// The Rust commands as the UI uses them: the generated client (../generated/commands.ts, made
// from the commands' signatures) and the events Rust sends. Every request and response type
// comes from ../generated/api.ts, which is generated from the Rust types.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { commands } from "../generated/commands";
import type { LockedEvent, NoteChange, NotesChanged, Progress, Purpose, SyncStatus } from "../generated/api";

export { CofferError } from "./call";

/** Every command, typed from its Rust signature (../generated/commands.ts), with the UI's
 *  conveniences. */
export const api = {
  ...commands,
  /** Opens Coffer's file dialog for `purpose`; the chosen paths (none if cancelled). Only
   *  these paths are accepted by the commands that read or write files. */
  pick: (purpose: Purpose, name?: string) => commands.pick(purpose, name ?? null),
};

export function onLocked(f: (e: LockedEvent) => void): Promise<UnlistenFn> {
  return listen<LockedEvent>("locked", (ev) => f(ev.payload));
}

/** Another window (or this one) unlocked the vault. */
export function onUnlocked(f: () => void): Promise<UnlistenFn> {
  return listen("unlocked", () => f());
}

/** A window changed notes; `by` is its label. */
export function onNotesChanged(f: (e: NotesChanged) => void): Promise<UnlistenFn> {
  return listen<NotesChanged>("notes-changed", (ev) => f(ev.payload));
}

/** Text of attachments was read for search (in the background): a search may find more. */
export function onAttachmentsRead(f: () => void): Promise<UnlistenFn> {
  return listen("attachments-read", () => f());
}

export function onSyncStatus(f: (s: SyncStatus) => void): Promise<UnlistenFn> {
  return listen<SyncStatus>("sync-status", (ev) => f(ev.payload));
}

export function onProgress(f: (p: Progress) => void): Promise<UnlistenFn> {
  return listen<Progress>("progress", (ev) => f(ev.payload));
}

/** A change that sets only the given fields. */
export function change(fields: Partial<NoteChange>): NoteChange {
  return {
    base: null,
    title: null,
    body: null,
    tags: null,
    notebook: undefined,
    pinned: null,
    ...fields,
  };
}
