// Contacts and conversations while the vault is unlocked. One Messages object exists per unlock
// (App drops it on lock with the workspace), so no message text outlives the keys in Rust.
import { commands as c } from "../generated/commands";
import type { Contact, ConversationSummary, DiscardReport, InboxCheck } from "../generated/api";

export const messagesApi = {
  myCard: c.myCard,
  setDisplayName: c.setDisplayName,
  contacts: c.contacts,
  addContact: c.addContact,
  replaceContactKeys: c.replaceContactKeys,
  contactDetail: c.contactDetail,
  verifyContact: c.verifyContact,
  removeContact: c.removeContact,
  conversations: c.conversations,
  openConversation: c.openConversation,
  send: c.sendMessage,
  shareNote: c.shareNote,
  openArmored: c.openArmored,
  checkInbox: c.checkInbox,
  discardHeld: c.discardHeld,
  saveAsNote: c.saveMessageAsNote,
  saveAttachment: c.saveMessageAttachment,
  copyPublicText: c.copyPublicText,
  remotes: c.remotes,
  syncSettings: c.getSyncSettings,
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
