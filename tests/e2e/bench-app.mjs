// Benchmarks of the real app (run by scripts/bench-app under Xvfb): cold start to the unlock
// screen, unlock to the first painted list, search-as-you-type latency per keystroke, and the
// memory of the app and its WebKit processes; opening a note from the list, and typing into a
// 20 KiB note. The UI sets performance marks once a frame is
// painted ("coffer:unlock-screen", "coffer:list-painted", "coffer:search-painted"; see
// ui/src/lib/workspace.svelte.ts); they are read here through WebDriver.
//   node bench-app.mjs --vault DIR --pass-file FILE [--runs 5] [--json OUT]
import { readFileSync, readdirSync, readlinkSync, writeFileSync, realpathSync } from "node:fs";
import os from "node:os";
import { startDriver, openApp, closeApp, APP } from "./harness.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const vault = args.vault;
const pass = readFileSync(args["pass-file"], "utf8").replace(/\n$/, "");
const runs = Number(args.runs ?? 5);
const appPath = realpathSync(APP);

const CLK_TCK = 100; // USER_HZ on Linux
// Boot time in epoch ms to 10 ms (/proc/stat's btime is whole seconds): now minus the uptime.
const bootMs = Date.now() - Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;

function procs() {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      let exe = "";
      try {
        exe = readlinkSync(`/proc/${d}/exe`);
      } catch {}
      out.push({ pid: Number(d), ppid: Number(f[1]), start: bootMs + (Number(f[19]) * 1000) / CLK_TCK, exe, comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
    } catch {}
  }
  return out;
}

/** The newest process running our app binary, and its descendants (WebKit's processes). */
function appTree() {
  const all = procs();
  const app = all.filter((p) => p.exe === appPath).sort((a, b) => b.start - a.start)[0];
  if (!app) throw new Error(`no process runs ${appPath}`);
  const tree = [app];
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((p) => p.ppid === tree[i].pid));
  return tree;
}

function memory(p) {
  const kb = (file, key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${p.pid}/${file}`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  return { pid: p.pid, name: p.comm, rssMiB: kb("status", "VmRSS"), pssMiB: kb("smaps_rollup", "Pss"), hwmMiB: kb("status", "VmHWM") };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const r1 = (x) => Math.round(x * 10) / 10;

/** Epoch milliseconds of a performance mark, waiting until it exists. */
async function markEpoch(b, name, after = 0, timeout = 120000) {
  let t = null;
  await b.waitUntil(
    async () => {
      t = await b.execute((n) => {
        const m = performance.getEntriesByName(n).at(-1);
        return m ? performance.timeOrigin + m.startTime : null;
      }, name);
      return t !== null && t > after;
    },
    { timeout, interval: 20, timeoutMsg: `no ${name} mark` },
  );
  return t;
}

const result = { date: new Date().toISOString(), app: appPath, vault, runs, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: r1(os.totalmem() / 2 ** 30), load: os.loadavg().map(r1) } };
const driver = await startDriver();
try {
  // 1. Cold start: from the process's start (kernel start time) to the painted unlock screen.
  const starts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    const b = await openApp(driver, vault);
    try {
      const shown = await markEpoch(b, "coffer:unlock-screen");
      const app = appTree()[0];
      const origin = await b.execute(() => performance.timeOrigin);
      starts.push({ processToUnlockMs: shown - app.start, pageToUnlockMs: shown - origin, sessionRequestToUnlockMs: shown - t0 });
    } finally {
      await closeApp(b);
    }
  }
  result.coldStart = {
    runs: starts,
    medianProcessToUnlockMs: r1(median(starts.map((s) => s.processToUnlockMs))),
    medianPageToUnlockMs: r1(median(starts.map((s) => s.pageToUnlockMs))),
  };
  console.error(`cold start: ${JSON.stringify(result.coldStart)}`);

  // 2. Unlock to the first painted list, 3. search latency, 4. memory: in one app session.
  const b = await openApp(driver, vault);
  try {
    await markEpoch(b, "coffer:unlock-screen");
    const unlocks = [];
    for (let i = 0; i < runs; i++) {
      await (await b.$("#passphrase")).waitForDisplayed();
      // The passphrase goes in as typed text would; the time starts at the submit.
      await (await b.$("#passphrase")).setValue(pass);
      const t0 = await b.execute(() => {
        const t = performance.timeOrigin + performance.now();
        document.querySelector("#unlock").click();
        return t;
      });
      const painted = await markEpoch(b, "coffer:list-painted", t0);
      const count = await b.execute(() => document.querySelectorAll(".items .item").length);
      unlocks.push({ ms: painted - t0, itemsInDom: count });
      if (i < runs - 1) {
        await (await b.$("#lock")).click();
      }
    }
    result.unlockToList = { runs: unlocks, medianMs: r1(median(unlocks.map((u) => u.ms))) };
    console.error(`unlock to list: ${JSON.stringify(result.unlockToList)}`);

    // Search as you type: each key is a real key press through WebDriver; its time is the
    // keydown event's, the end is the mark set once the results are painted.
    // With --cjk, Chinese and Japanese go in a character at a time, as an input method commits
    // them: timed from each input event (an input method's keydowns are not the text).
    const cjk = Boolean(args.cjk);
    await b.execute((event) => {
      window.__keys = [];
      document.querySelector("#search").addEventListener(event, (e) => window.__keys.push(performance.timeOrigin + e.timeStamp), true);
    }, cjk ? "input" : "keydown");
    const words = cjk
      ? ["会议室", "预算", "项目计划", "東京", "プロジェクト", "打ち合わせ", "予約", "资料"]
      : ["passport", "meeting", "recipe", "budget", "insurance", "garden", "the", "wifi"];
    const rounds = Number(args.rounds ?? 3);
    const samples = [];
    const search = await b.$("#search");
    await search.click();
    // One keystroke: its time is the keydown event's, the end is the next search-painted mark.
    const measure = async (press) => {
      const before = await b.execute(() => window.__keys.length);
      await press();
      await b.waitUntil(async () => (await b.execute(() => window.__keys.length)) > before, { timeout: 10000, interval: 10 });
      const key = await b.execute(() => window.__keys.at(-1));
      const painted = await markEpoch(b, "coffer:search-painted", key);
      const q = await b.execute(() => document.querySelector("#search").value);
      samples.push({ query: q, ms: painted - key, hits: await b.execute(() => document.querySelectorAll(".items .item.hit").length) });
    };
    for (let r = 0; r < rounds; r++) {
      for (const w of words) {
        // The word's first letter replaces the previous query (selected), then one key at a time.
        await b.execute(() => document.querySelector("#search").select());
        for (const c of w) await measure(() => (cjk ? search.addValue(c) : b.keys(c)));
      }
      // Emptying the box brings the whole list back.
      await b.execute(() => document.querySelector("#search").select());
      await measure(() => b.keys("Backspace"));
    }
    const typing = samples.filter((s) => s.query !== "");
    const clearing = samples.filter((s) => s.query === "");
    result.search = {
      keystrokes: typing.length,
      p50Ms: r1(pct(typing.map((s) => s.ms), 50)),
      p90Ms: r1(pct(typing.map((s) => s.ms), 90)),
      p99Ms: r1(pct(typing.map((s) => s.ms), 99)),
      maxMs: r1(Math.max(...typing.map((s) => s.ms))),
      slowest: [...typing].sort((a, b) => b.ms - a.ms).slice(0, 5).map((s) => ({ query: s.query, ms: r1(s.ms) })),
      clearToFullListMedianMs: clearing.length ? r1(median(clearing.map((s) => s.ms))) : null,
      firstRoundByQuery: samples.slice(0, words.reduce((n, w) => n + w.length, 0) + 1).map((s) => ({ query: s.query, ms: r1(s.ms), hits: s.hits })),
    };
    // The same queries through the IPC alone (no page update): where a keystroke's time goes.
    const queries = [...new Set(typing.map((s) => s.query))];
    const ipc = await b.executeAsync(async (qs, done) => {
      const call = window.__TAURI_INTERNALS__.invoke;
      const out = { search: [], messages: [] };
      for (let r = 0; r < 3; r++) {
        for (const query of qs) {
          let t = performance.now();
          await call("search", { query });
          out.search.push(performance.now() - t);
          t = performance.now();
          await call("search_messages", { query });
          out.messages.push(performance.now() - t);
        }
      }
      done(out);
    }, queries);
    Object.assign(result.search, {
      ipcSearchP50Ms: r1(pct(ipc.search, 50)), ipcSearchP90Ms: r1(pct(ipc.search, 90)),
      ipcMessagesP50Ms: r1(pct(ipc.messages, 50)), ipcMessagesP90Ms: r1(pct(ipc.messages, 90)),
    });
    console.error(`search: ${JSON.stringify({ ...result.search, firstRoundByQuery: undefined })}`);

    // Opening a note from the list: from the click's pointerdown to the mark set once the
    // opened note is painted (its title and editor), and to the mark set once its rendered
    // preview is painted.
    await b.execute(() => document.querySelector("#search").select());
    await b.keys("Backspace");
    await b.waitUntil(async () => (await b.execute(() => document.querySelectorAll(".items .item.hit").length)) === 0, { timeout: 10000 });
    await b.execute(() => {
      window.__opens = [];
      document.querySelector(".items").addEventListener("pointerdown", (e) => window.__opens.push(performance.timeOrigin + e.timeStamp), true);
    });
    const opens = [];
    const fetched = [];
    const previews = [];
    let missed = 0;
    for (let i = 0; i < Number(args.opens ?? 30); i++) {
      // A row other than the open note's (opening that one again changes nothing).
      const rows = await b.$$(".items .item:not(.current)");
      const row = rows[(i * 7) % Math.min(rows.length, 60)];
      await row.scrollIntoView({ block: "center" });
      const before = await b.execute(() => window.__opens.length);
      await row.click();
      await b.waitUntil(async () => (await b.execute(() => window.__opens.length)) > before, { timeout: 10000, interval: 10 });
      const down = await b.execute(() => window.__opens.at(-1));
      // A click that opened nothing (the list was drawn again under it) is not a sample.
      const painted = await markEpoch(b, "coffer:note-painted", down, 5000).catch(() => null);
      if (painted === null) {
        missed++;
        if (missed > 5) throw new Error("more than 5 clicks on list rows opened no note");
        continue;
      }
      opens.push(painted - down);
      fetched.push((await markEpoch(b, "coffer:note-fetched", down)) - down);
      // The rendered preview beside the editor (split, the default): what the user reads.
      const preview = await markEpoch(b, "coffer:preview-painted", down, 5000).catch(() => null);
      if (preview !== null) previews.push(preview - down);
    }
    // Where the time goes: from the click to the note back from Rust (the IPC, the core), and
    // from there to the painted note (the page: Svelte, CodeMirror, layout and paint).
    const after = opens.map((o, i) => o - fetched[i]);
    result.openNote = {
      opens: opens.length, missed, p50Ms: r1(pct(opens, 50)), p90Ms: r1(pct(opens, 90)), maxMs: r1(Math.max(...opens)),
      toFetchedP50Ms: r1(pct(fetched, 50)), toFetchedP90Ms: r1(pct(fetched, 90)),
      fetchedToPaintedP50Ms: r1(pct(after, 50)), fetchedToPaintedP90Ms: r1(pct(after, 90)),
      previews: previews.length,
      ...(previews.length ? { toPreviewP50Ms: r1(pct(previews, 50)), toPreviewP90Ms: r1(pct(previews, 90)) } : {}),
    };
    console.error(`open a note: ${JSON.stringify(result.openNote)}`);

    // Typing into a 20 KiB note: from each keydown in the editor to the next frame painted
    // after the editor's text changed (a MutationObserver, then requestAnimationFrame). Keys
    // go in as fast as WebDriver sends them, no faster than 50 a second.
    const long = Array.from({ length: 350 }, (_, i) => `Line ${i} of a long note, with some words to wrap and keep.`).join("\n");
    const made = await b.executeAsync((body, done) => {
      window.__TAURI_INTERNALS__.invoke("create", { note: { title: "Long note for typing", body, tags: [], notebook: null, pinned: false } })
        .then((id) => done(id), (e) => done({ err: String(e) }));
    }, long);
    await (await b.$("#view-all")).click();
    // The list is fetched again when the new note's event comes, which can replace the row
    // under the click: click again until the note is the one open.
    const isOpen = () => b.execute((id) => document.querySelector(".items .item.current")?.getAttribute("data-id") === id, made);
    for (let tries = 0; !(await isOpen()); tries++) {
      if (tries === 10) throw new Error("the new long note could not be opened from the list");
      const newRow = await b.$(`.items .item[data-id="${made}"]`);
      await newRow.waitForExist({ timeout: 30000 });
      await newRow.scrollIntoView({ block: "center" });
      await newRow.click();
      await b.waitUntil(isOpen, { timeout: 2000, interval: 50 }).catch(() => {});
    }
    await b.execute(() => {
      const cm = document.querySelector(".cm-content");
      window.__typed = [];
      let down = 0;
      cm.addEventListener("keydown", (e) => (down = performance.timeOrigin + e.timeStamp), true);
      new MutationObserver(() => {
        const t = down;
        if (!t) return;
        down = 0;
        requestAnimationFrame(() => window.__typed.push(performance.timeOrigin + performance.now() - t));
      }).observe(cm, { childList: true, subtree: true, characterData: true });
    });
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "End"]);
    const text = "the quick brown fox jumps over the lazy dog and keeps on typing ".repeat(2);
    for (const c of text) {
      const t0 = Date.now();
      await b.keys(c);
      const wait = 20 - (Date.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await new Promise((r) => setTimeout(r, 300));
    const typed = await b.execute(() => window.__typed);
    // The floor under that figure: the same keys, timed the same way, into a plain <textarea>
    // laid over the app (no CodeMirror; of Coffer only the window's shortcut listener runs,
    // which returns at once for a plain key): what WebKit, the X
    // server and the WebDriver keys cost by themselves.
    await b.execute(() => {
      const t = document.createElement("textarea");
      t.id = "bench-floor";
      t.style.cssText = "position:fixed;left:10px;top:10px;width:400px;height:200px;z-index:99999";
      document.body.append(t);
      window.__floor = [];
      let down = 0;
      t.addEventListener("keydown", (e) => (down = performance.timeOrigin + e.timeStamp), true);
      t.addEventListener("input", () => {
        const at = down;
        if (!at) return;
        down = 0;
        requestAnimationFrame(() => window.__floor.push(performance.timeOrigin + performance.now() - at));
      });
    });
    await (await b.$("#bench-floor")).click();
    for (const c of text) {
      const t0 = Date.now();
      await b.keys(c);
      const wait = 20 - (Date.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await new Promise((r) => setTimeout(r, 300));
    const floor = await b.execute(() => window.__floor);
    await b.execute(() => document.querySelector("#bench-floor")?.remove());
    result.editorTyping = {
      noteBytes: long.length, keys: typed.length, p50Ms: r1(pct(typed, 50)), p99Ms: r1(pct(typed, 99)), maxMs: r1(Math.max(...typed)),
      plainTextareaP50Ms: r1(pct(floor, 50)), plainTextareaP99Ms: r1(pct(floor, 99)),
    };
    console.error(`typing in the editor: ${JSON.stringify(result.editorTyping)}`);

    // Memory with the 10k notes open (after the searches above), per process.
    const mem = appTree().map(memory);
    result.memory = {
      processes: mem.map((m) => ({ ...m, rssMiB: r1(m.rssMiB), pssMiB: r1(m.pssMiB), hwmMiB: r1(m.hwmMiB) })),
      totalRssMiB: r1(mem.reduce((a, m) => a + m.rssMiB, 0)),
      totalPssMiB: r1(mem.reduce((a, m) => a + m.pssMiB, 0)),
    };
    console.error(`memory: ${JSON.stringify(result.memory)}`);
  } finally {
    await closeApp(b);
  }
} finally {
  driver.stop();
}
const out = JSON.stringify(result, null, 1);
if (args.json) writeFileSync(args.json, out + "\n");
console.log(out);
