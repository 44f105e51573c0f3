// Generated from src-tauri's command list and the commands' signatures (build.rs,
// typescript::client). Do not edit: run `scripts/build-app --update-types`.
import { call } from "../lib/call";
import type {
  AlarmView,
  Attachment,
  Conflict,
  Contact,
  ContactDetail,
  ConversationSummary,
  DeviceAdded,
  DeviceInfo,
  DiscardReport,
  ExportReport,
  ImportReport,
  InboxCheck,
  MessageHit,
  MessageView,
  MyCard,
  NameCount,
  NewNote,
  NewRemote,
  Note,
  NoteChange,
  NoteFilter,
  NoteSummary,
  Outgoing,
  PairingCheck,
  PairingStart,
  Purpose,
  RemoteCheck,
  RemoteInfo,
  RepairReport,
  RevisionInfo,
  Rotation,
  SearchHit,
  SentMessage,
  Settings,
  Settlement,
  Strength,
  SyncSettings,
  SyncStatus,
  ThreadMessage,
  VaultStatus,
  VerifyReport,
} from "./api";

/** Every command the web view may call. */
export const commands = {
  vaultStatus: () => call<VaultStatus>("vault_status"),
  /** How hard a passphrase being chosen is to guess (the meter under the field). Nothing is kept: the copy is wiped when the estimate is made. */
  passphraseStrength: (passphrase: string) => call<Strength>("passphrase_strength", { passphrase }),
  createVault: (passphrase: string) => call<void>("create_vault", { passphrase }),
  unlock: (passphrase: string) => call<void>("unlock", { passphrase }),
  lock: () => call<void>("lock"),
  /** User activity in the window (typing, clicking): postpones auto-lock. */
  touch: () => call<void>("touch"),
  list: (filter: NoteFilter) => call<Array<NoteSummary>>("list", { filter }),
  note: (id: string) => call<Note>("note", { id }),
  create: (note: NewNote) => call<string>("create", { note }),
  /** Returns the new revision id. */
  update: (id: string, change: NoteChange) => call<string>("update", { id, change }),
  trash: (id: string) => call<void>("trash", { id }),
  restore: (id: string) => call<void>("restore", { id }),
  purge: (id: string) => call<void>("purge", { id }),
  history: (id: string) => call<Array<RevisionInfo>>("history", { id }),
  noteAt: (id: string, revision: string) => call<Note>("note_at", { id, revision }),
  revert: (id: string, revision: string) => call<string>("revert", { id, revision }),
  conflict: (id: string) => call<Conflict>("conflict", { id }),
  settleConflict: (id: string, settlement: Settlement) => call<string>("settle_conflict", { id, settlement }),
  keepBoth: (id: string, shown: string, other: string) => call<string>("keep_both", { id, shown, other }),
  search: (query: string) => call<Array<SearchHit>>("search", { query }),
  /** Titles holding what was typed after `[[`, under the search's folding rules. */
  titlesMatching: (typed: string) => call<Array<string>>("titles_matching", { typed }),
  /** Texts folded as search folds words, for the command palette's matching (at most 10,000 texts of 1,000 characters each are folded; longer ones are cut). */
  foldForSearch: (texts: Array<string>) => call<Array<string>>("fold_for_search", { texts }),
  /** Where `query` occurs in `text` (the open note, or the preview's text) under the search's folding rules, as UTF-16 offsets (what the editor and the page count in): the query whole, or with `words`, each word and phrase of a search query (what a note found highlights). */
  findInText: (text: string, query: string, words: boolean) => call<Array<[number, number]>>("find_in_text", { text, query, words }),
  /** The draft with its `index`-th task ticked or unticked (a checkbox clicked in the preview, counted among the preview's task checkboxes); `None` if there is no such task. */
  toggleTask: (text: string, index: number) => call<string | null>("toggle_task", { text, index }),
  /** Sanitized HTML of a draft (the live preview). */
  renderMarkdown: (text: string) => call<string>("render_markdown", { text }),
  notebooks: () => call<Array<NameCount>>("notebooks"),
  templates: () => call<Array<NoteSummary>>("templates"),
  /** `day` is the person's local date (YYYY-MM-DD), which the web view knows. */
  createFromTemplate: (template: string, title: string, day: string, notebook: string | null) => call<string>("create_from_template", { template, title, day, notebook }),
  dailyNote: (day: string) => call<string>("daily_note", { day }),
  renameNotebook: (old: string, newValue: string) => call<number>("rename_notebook", { old, new: newValue }),
  removeNotebook: (name: string) => call<number>("remove_notebook", { name }),
  notebookSize: (name: string) => call<number>("notebook_size", { name }),
  tags: () => call<Array<NameCount>>("tags"),
  /** Opens another window on the same session, showing the note `note` (or the list, if none). */
  openWindow: (note: string | null) => call<void>("open_window", { note }),
  /** Opens the file dialog for `purpose` (a save dialog suggests `name`); the chosen paths, none if it was cancelled. They stay usable for that purpose until the app quits. */
  pick: (purpose: Purpose, name: string | null) => call<Array<string>>("pick", { purpose, name }),
  attach: (id: string, path: string) => call<Attachment>("attach", { id, path }),
  extract: (id: string, name: string, to: string) => call<void>("extract", { id, name, to }),
  /** Copies a note's text; the clipboard is cleared after 30 s (or the delay the app was started with) if it still holds it. Returns that delay in seconds, for the UI to say. */
  copyNote: (id: string) => call<number>("copy_note", { id }),
  /** Opens an https link in the system browser once the user confirmed its host in a dialog Coffer shows itself; whether it was opened. */
  openLink: (url: string) => call<boolean>("open_link", { url }),
  changePassphrase: (current: string, newValue: string) => call<void>("change_passphrase", { current, new: newValue }),
  rotateKeys: (passphrase: string) => call<Rotation>("rotate_keys", { passphrase }),
  verify: () => call<VerifyReport>("verify"),
  /** Imports a folder of Markdown (Obsidian, Joplin, a Coffer export) and `.age` files. */
  importDir: (path: string) => call<ImportReport>("import_dir", { path }),
  /** Writes every live note as Markdown into `path` (which must be empty or absent). */
  exportDir: (path: string) => call<ExportReport>("export_dir", { path }),
  getSettings: () => call<Settings>("get_settings"),
  setSettings: (settings: Settings) => call<void>("set_settings", { settings }),
  remotes: () => call<Array<RemoteInfo>>("remotes"),
  /** Tests a remote as entered, without saving it (and without holding the vault meanwhile). */
  checkRemote: (remote: NewRemote) => call<RemoteCheck>("check_remote", { remote }),
  /** Tests a remote as entered and saves it only if the test passes; then syncs with it. */
  addRemote: (remote: NewRemote) => call<RemoteInfo>("add_remote", { remote }),
  /** Forgets a remote and its credentials (nothing on the remote is touched). */
  removeRemote: (name: string) => call<void>("remove_remote", { name }),
  /** Starts a sync with every remote now (the result comes as `sync-status` events). */
  syncNow: () => call<void>("sync_now"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  /** Every alarm raised so far, newest first, with the notes concerned. */
  syncAlarms: () => call<Array<AlarmView>>("sync_alarms"),
  /** The person has read the alarms shown: they stop counting as new. */
  acknowledgeAlarms: () => call<void>("acknowledge_alarms"),
  /** Puts damaged or missing files back from the sync remotes (only the bytes their signed entries name); a note whose current version no remote holds is saved again from its text here. Reports what was healed and what was not. */
  repairDamage: () => call<RepairReport>("repair_damage"),
  devices: () => call<Array<DeviceInfo>>("devices"),
  /** News of the vault's devices that syncs brought (a device joined with the passphrase, one was removed), newest first. */
  syncNews: () => call<Array<AlarmView>>("sync_news"),
  /** The person has read the news of devices shown: it stops counting as new. */
  acknowledgeNews: () => call<void>("acknowledge_news"),
  /** First run on a new device: sets the vault up from an existing one's remote with the passphrase (progress as `progress` events), then syncs on as usual. */
  joinVault: (remote: NewRemote, passphrase: string, deviceName: string) => call<void>("join_vault", { remote, passphrase, deviceName }),
  /** Removes a device of the roster (named by its id): its later changes are refused everywhere, and a new key generation is made for the devices that remain. */
  removeDevice: (device: string) => call<void>("remove_device", { device }),
  /** Gives a device of the roster (named by its id) a new name. */
  renameDevice: (device: string, name: string) => call<void>("rename_device", { device, name }),
  /** New keys for this device and its code (any earlier pairing under way is forgotten). */
  pairingStart: (name: string) => call<PairingStart>("pairing_start", { name }),
  /** Opens the answer the other device gave: returns the number it shows with it, for the user to compare before anything is written. */
  pairingOpenAnswer: (answer: string) => call<string>("pairing_open_answer", { answer }),
  /** With the answer opened and its number seen on both devices: makes the vault under `passphrase` and pulls everything (progress as `progress` events), then syncs on as usual. */
  pairingFinish: (passphrase: string) => call<void>("pairing_finish", { passphrase }),
  /** Reads a code on a device that has the vault: who asks, and the number to compare. */
  pairingCheck: (code: string) => call<PairingCheck>("pairing_check", { code }),
  /** Adds the device of `code` (after the user saw the numbers match): signs its joining, hands it the keys, syncs, and returns the answer to give it, with its check. */
  addDevice: (code: string) => call<DeviceAdded>("add_device", { code }),
  getSyncSettings: () => call<SyncSettings>("get_sync_settings"),
  setSyncSettings: (settings: SyncSettings) => call<void>("set_sync_settings", { settings }),
  myCard: () => call<MyCard>("my_card"),
  setDisplayName: (name: string) => call<MyCard>("set_display_name", { name }),
  contacts: () => call<Array<Contact>>("contacts"),
  addContact: (card: string, name: string) => call<Contact>("add_contact", { card, name }),
  /** Accepts new keys for a known contact: flagged as changed until verified again. */
  replaceContactKeys: (contact: string, card: string) => call<Contact>("replace_contact_keys", { contact, card }),
  contactDetail: (contact: string) => call<ContactDetail>("contact_detail", { contact }),
  /** Marks a contact verified (the UI asks only after the numbers were compared). */
  verifyContact: (contact: string) => call<Contact>("verify_contact", { contact }),
  /** Removes a contact on every device (the UI asks first, naming them); returns it as it was. */
  removeContact: (contact: string) => call<Contact>("remove_contact", { contact }),
  conversations: () => call<Array<ConversationSummary>>("conversations"),
  /** Messages matching a search (their own group beside the notes found), newest first. */
  searchMessages: (query: string) => call<Array<MessageHit>>("search_messages", { query }),
  /** A conversation with every body rendered; marks it read. */
  openConversation: (conversation: string) => call<Array<ThreadMessage>>("open_conversation", { conversation }),
  sendMessage: (outgoing: Outgoing) => call<SentMessage>("send_message", { outgoing }),
  shareNote: (note: string, to: Array<string>, remote: string | null) => call<SentMessage>("share_note", { note, to, remote }),
  /** Opens a pasted armored message (then reads its attachments' text for search, as for messages taken from an inbox or sent). */
  openArmored: (text: string) => call<MessageView>("open_armored", { text }),
  checkInbox: () => call<InboxCheck>("check_inbox"),
  /** Deletes the held messages named by the last check from the own inbox on every shared remote (the core refuses any other key). */
  discardHeld: (keys: Array<string>) => call<DiscardReport>("discard_held", { keys }),
  /** Saves a received message (a shared note keeps its title and tags) as a note; its id. */
  saveMessageAsNote: (message: string) => call<string>("save_message_as_note", { message }),
  saveMessageAttachment: (message: string, name: string, to: string) => call<void>("save_message_attachment", { message, name, to }),
  /** Copies a contact card or an armored block: public or encrypted text, so not cleared later. Anything else is refused (note text goes through `copy_note`, which clears the clipboard). */
  copyPublicText: (text: string) => call<void>("copy_public_text", { text }),
};
