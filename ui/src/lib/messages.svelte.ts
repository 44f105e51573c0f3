// Contacts and conversations while the vault is unlocked. One Messages object exists per unlock
// (App drops it on lock with the workspace), so no message text outlives the keys in Rust.
import { call } from "./api";
import type {
  Contact,
  ContactDetail,
  ConversationSummary,
  DiscardReport,
  InboxCheck,
  MessageView,
  MyCard,
  Outgoing,
  RemoteInfo,
  SentMessage,
  SyncSettings,
  ThreadMessage,
} from "../generated/api";

export const messagesApi = {
  myCard: () => call<MyCard>("my_card"),
  setDisplayName: (name: string) => call<MyCard>("set_display_name", { name }),
  contacts: () => call<Contact[]>("contacts"),
  addContact: (card: string, name: string) => call<Contact>("add_contact", { card, name }),
  replaceContactKeys: (contact: string, card: string) => call<Contact>("replace_contact_keys", { contact, card }),
  contactDetail: (contact: string) => call<ContactDetail>("contact_detail", { contact }),
  verifyContact: (contact: string) => call<Contact>("verify_contact", { contact }),
  removeContact: (contact: string) => call<Contact>("remove_contact", { contact }),
  conversations: () => call<ConversationSummary[]>("conversations"),
  openConversation: (conversation: string) => call<ThreadMessage[]>("open_conversation", { conversation }),
  send: (outgoing: Outgoing) => call<SentMessage>("send_message", { outgoing }),
  shareNote: (note: string, to: string[], remote: string | null) =>
    call<SentMessage>("share_note", { note, to, remote }),
  openArmored: (text: string) => call<MessageView>("open_armored", { text }),
  checkInbox: () => call<InboxCheck>("check_inbox"),
  discardHeld: (keys: string[]) => call<DiscardReport>("discard_held", { keys }),
  saveAsNote: (message: string) => call<string>("save_message_as_note", { message }),
  saveAttachment: (message: string, name: string, to: string) =>
    call<void>("save_message_attachment", { message, name, to }),
  copyPublicText: (text: string) => call<void>("copy_public_text", { text }),
  remotes: () => call<RemoteInfo[]>("remotes"),
  syncSettings: () => call<SyncSettings>("get_sync_settings"),
};

export type Tab = "conversations" | "contacts";

/** What the right-hand side of the messages section shows. */
export type Pane =
  | { kind: "none" }
  | { kind: "thread"; id: string }
  | { kind: "new-message"; to: string }
  | { kind: "contact"; id: string }
  | { kind: "my-card" }
  | { kind: "add-contact" }
  | { kind: "paste-armored" };

export class Messages {
  contacts = $state<Contact[]>([]);
  conversations = $state<ConversationSummary[]>([]);
  remotes = $state<string[]>([]);
  pane = $state<Pane>({ kind: "none" });
  /** The armored block of the message just sent that way (encrypted: safe to show and copy). */
  lastArmored = $state<{ conversation: string; text: string } | null>(null);
  /** The last inbox check: when, and what it said (for the status line). */
  checking = $state(false);
  lastCheck = $state<number | null>(null);
  checkNote = $state("");
  /** The inbox files of the messages the last check held back (from keys of no contact). */
  held = $state<string[]>([]);
  unread = $derived(this.conversations.reduce((n, c) => n + c.unread, 0));

  private timer: ReturnType<typeof setInterval> | undefined;

  async refresh(): Promise<void> {
    const [contacts, conversations, remotes] = await Promise.all([
      messagesApi.contacts(),
      messagesApi.conversations(),
      messagesApi.remotes(),
    ]);
    this.contacts = contacts;
    this.conversations = conversations;
    // Only remotes shared with contacts carry messages; the vault never syncs there.
    this.remotes = remotes.filter((r) => r.purpose === "messages").map((r) => r.name);
  }

  /** Fetches new messages from every shared remote's inbox. */
  async checkInbox(): Promise<InboxCheck | null> {
    if (this.checking) return null;
    this.checking = true;
    try {
      const r = await messagesApi.checkInbox();
      this.lastCheck = Date.now();
      const parts: string[] = [];
      if (!r.remotes.length) parts.push("No shared remote: messages arrive only as pasted armored text.");
      else {
        const n = r.report.received.length;
        parts.push(n ? `${n} new message${n > 1 ? "s" : ""}.` : "No new messages.");
      }
      this.held = r.report.held.map((h) => h.key);
      if (r.report.rejected.length) parts.push(`${r.report.rejected.length} refused: ${r.report.rejected[0].message}.`);
      for (const f of r.failures) parts.push(`${f.remote}: ${f.message}`);
      this.checkNote = parts.join(" ");
      await this.refresh();
      return r;
    } finally {
      this.checking = false;
    }
  }

  /** Deletes the held-back messages of the last check from the own inbox on the remotes. */
  async discardHeld(): Promise<DiscardReport> {
    const r = await messagesApi.discardHeld(this.held);
    this.held = [];
    return r;
  }

  /** Checks the inbox every sync interval while a remote is set up and automatic sync is on. */
  async startTimer(onError: (e: unknown) => void): Promise<void> {
    this.stopTimer();
    const s = await messagesApi.syncSettings();
    if (!s.auto_sync) return;
    this.timer = setInterval(() => {
      if (this.remotes.length) this.checkInbox().catch(onError);
    }, s.interval_minutes * 60_000);
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  contactById(id: string): Contact | undefined {
    return this.contacts.find((c) => c.id === id);
  }
}
