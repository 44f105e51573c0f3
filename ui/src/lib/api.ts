// Typed calls to the Rust commands (src-tauri/src/commands.rs). Every request and response type
// comes from ../generated/api.ts, which is generated from the Rust types.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AlarmView,
  ApiError,
  DeviceInfo,
  NewRemote,
  RemoteCheck,
  RemoteInfo,
  SyncSettings,
  SyncStatus,
  Attachment,
  ExportReport,
  ImportReport,
  LockedEvent,
  NameCount,
  NewNote,
  Note,
  NoteChange,
  NoteFilter,
  NoteSummary,
  Progress,
  RevisionInfo,
  SearchHit,
  Settings,
  VaultStatus,
  VerifyReport,
  Purpose,
} from "../generated/api";

/** An error from Rust: `code` is stable (e.g. "wrong_passphrase"), `message` is for people. */
export class CofferError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function isApiError(e: unknown): e is ApiError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isApiError(e)) throw new CofferError(e.code, e.message);
    throw new CofferError("app", String(e));
  }
}

export const api = {
  vaultStatus: () => call<VaultStatus>("vault_status"),
  createVault: (passphrase: string) => call<void>("create_vault", { passphrase }),
  unlock: (passphrase: string) => call<void>("unlock", { passphrase }),
  lock: () => call<void>("lock"),
  touch: () => call<void>("touch"),
  list: (filter: NoteFilter) => call<NoteSummary[]>("list", { filter }),
  note: (id: string) => call<Note>("note", { id }),
  create: (note: NewNote) => call<string>("create", { note }),
  update: (id: string, change: NoteChange) => call<string>("update", { id, change }),
  trash: (id: string) => call<void>("trash", { id }),
  restore: (id: string) => call<void>("restore", { id }),
  purge: (id: string) => call<void>("purge", { id }),
  history: (id: string) => call<RevisionInfo[]>("history", { id }),
  noteAt: (id: string, revision: string) => call<Note>("note_at", { id, revision }),
  revert: (id: string, revision: string) => call<string>("revert", { id, revision }),
  search: (query: string) => call<SearchHit[]>("search", { query }),
  renderMarkdown: (text: string) => call<string>("render_markdown", { text }),
  notebooks: () => call<NameCount[]>("notebooks"),
  tags: () => call<NameCount[]>("tags"),
  attach: (id: string, path: string) => call<Attachment>("attach", { id, path }),
  extract: (id: string, name: string, to: string) => call<void>("extract", { id, name, to }),
  /** Copies the note's text; resolves to the seconds after which the clipboard is cleared. */
  copyNote: (id: string) => call<number>("copy_note", { id }),
  /** Asks the user in a native dialog, naming the host; whether the link was opened. */
  openLink: (url: string) => call<boolean>("open_link", { url }),
  /** Opens Coffer's file dialog for `purpose`; the chosen paths (none if cancelled). Only
   *  these paths are accepted by the commands that read or write files. */
  pick: (purpose: Purpose, name?: string) => call<string[]>("pick", { purpose, name: name ?? null }),
  changePassphrase: (current: string, next: string) =>
    call<void>("change_passphrase", { current, new: next }),
  rotateKeys: (passphrase: string) => call<void>("rotate_keys", { passphrase }),
  verify: () => call<VerifyReport>("verify"),
  importDir: (path: string) => call<ImportReport>("import_dir", { path }),
  exportDir: (path: string) => call<ExportReport>("export_dir", { path }),
  getSettings: () => call<Settings>("get_settings"),
  setSettings: (settings: Settings) => call<void>("set_settings", { settings }),
  remotes: () => call<RemoteInfo[]>("remotes"),
  checkRemote: (remote: NewRemote) => call<RemoteCheck>("check_remote", { remote }),
  addRemote: (remote: NewRemote) => call<RemoteInfo>("add_remote", { remote }),
  removeRemote: (name: string) => call<void>("remove_remote", { name }),
  syncNow: () => call<void>("sync_now"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  syncAlarms: () => call<AlarmView[]>("sync_alarms"),
  acknowledgeAlarms: () => call<void>("acknowledge_alarms"),
  devices: () => call<DeviceInfo[]>("devices"),
  getSyncSettings: () => call<SyncSettings>("get_sync_settings"),
  setSyncSettings: (settings: SyncSettings) => call<void>("set_sync_settings", { settings }),
};

export function onLocked(f: (e: LockedEvent) => void): Promise<UnlistenFn> {
  return listen<LockedEvent>("locked", (ev) => f(ev.payload));
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
