// Benchmark of setting a device up from the app (run by `scripts/bench-app --join` under Xvfb,
// with SeaweedFS started by scripts/sync-servers): a copy of the generated vault is pushed to
// the local S3 server once with the CLI, then each run opens the real app on an empty folder,
// fills "Set up from an existing vault" (URL, access key, secret, passphrase) and times from the
// click on "Set up" to the first painted list, then checks that every note is there.
//   node bench-join.mjs --vault DIR --pass-file FILE --cli PATH [--runs 3] [--json OUT]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { startDriver, openApp, closeApp, invoke } from "./harness.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const pass = readFileSync(args["pass-file"], "utf8").replace(/\n$/, "");
const runs = Number(args.runs ?? 3);
const r1 = (x) => Math.round(x * 10) / 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const v of ["COFFER_TEST_S3_ENDPOINT", "COFFER_TEST_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
  if (!process.env[v]) throw new Error(`${v} is not set: run this under scripts/sync-servers`);
}
const url = `s3://${process.env.COFFER_TEST_S3_BUCKET}/bench-join-${Date.now()}?endpoint=${process.env.COFFER_TEST_S3_ENDPOINT}&region=us-east-1`;

// The vault goes up once, from a copy (the generated one is kept as it is).
const work = mkdtempSync(path.join(os.tmpdir(), "coffer-bench-join-"));
const source = path.join(work, "source");
cpSync(args.vault, source, { recursive: true });
const cli = (...a) =>
  execFileSync(args.cli, ["--vault", source, ...a], {
    env: { ...process.env, COFFER_PASSPHRASE: pass },
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
const t = Date.now();
cli("remote", "add", "bench", url);
cli("sync");
const notes = JSON.parse(cli("--json", "list")).length;
console.error(`pushed ${notes} notes to ${url} in ${((Date.now() - t) / 1000).toFixed(1)} s`);

const result = {
  date: new Date().toISOString(),
  notes,
  runs: [],
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: r1(os.totalmem() / 2 ** 30), load: os.loadavg().map(r1) },
};
const driver = await startDriver();
try {
  for (let i = 0; i < runs; i++) {
    const vault = path.join(work, `device-${i}`, "vault");
    const b = await openApp(driver, vault);
    try {
      const existing = await b.$("#set-up-existing");
      await existing.waitForDisplayed({ timeout: 30000 });
      await existing.click();
      await (await b.$("#join-url")).setValue(url);
      await (await b.$("#join-user")).waitForDisplayed();
      await (await b.$("#join-user")).setValue(process.env.AWS_ACCESS_KEY_ID);
      await (await b.$("#join-secret")).setValue(process.env.AWS_SECRET_ACCESS_KEY);
      await (await b.$("#join-passphrase")).setValue(pass);
      await (await b.$("#join-device-name")).setValue(`bench ${i + 1}`);
      const t0 = await b.execute(() => {
        const now = performance.timeOrigin + performance.now();
        document.querySelector("#join-vault").click();
        return now;
      });
      let painted = null;
      await b.waitUntil(
        async () => {
          const err = await b.execute(() => document.querySelector("#join-error")?.textContent ?? null);
          if (err) throw new Error(`setup failed: ${err}`);
          painted = await b.execute((after) => {
            const m = performance.getEntriesByName("coffer:list-painted").at(-1);
            const at = m ? performance.timeOrigin + m.startTime : null;
            return at !== null && at > after ? at : null;
          }, t0);
          return painted !== null;
        },
        { timeout: 300000, interval: 50, timeoutMsg: "the setup never painted a list" },
      );
      const listed = await invoke(b, "list", { filter: {} });
      if (listed.ok?.length !== notes) throw new Error(`the new device lists ${listed.ok?.length ?? JSON.stringify(listed)} notes, not ${notes}`);
      result.runs.push({ ms: r1(painted - t0) });
      console.error(`run ${i + 1}: set up with ${notes} notes in ${r1(painted - t0)} ms`);
    } finally {
      await closeApp(b);
      rmSync(path.dirname(vault), { recursive: true, force: true });
    }
  }
} finally {
  driver.stop();
  rmSync(work, { recursive: true, force: true });
}
result.medianMs = r1(median(result.runs.map((r) => r.ms)));
const out = JSON.stringify(result, null, 1);
if (args.json) writeFileSync(args.json, out + "\n");
console.log(out);
