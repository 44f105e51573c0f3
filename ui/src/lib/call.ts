// The one way the web view calls Rust: `call` turns a failure into a CofferError with the
// stable code Rust gave it. Only the generated client (../generated/commands.ts) calls it.
import { invoke } from "@tauri-apps/api/core";
import type { ApiError } from "../generated/api";

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
