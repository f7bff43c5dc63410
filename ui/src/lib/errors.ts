// What to do about an error, in a sentence, by its code. The message from core says what
// happened; this adds the next step where there is an obvious one. The code itself goes under
// "Details" (ErrorNote.svelte), for a bug report or a search.

import type { ErrorCode } from "./bindings";
import type { LocalCode } from "./ipc";

const advice: Partial<Record<ErrorCode | LocalCode, string>> = {
  INVALID_INPUT: "Correct the field it names and try again.",
  NOT_FOUND: "It may have been deleted; go back and pick it again.",
  ALREADY_EXISTS: "Choose another name.",
  PROFILE_IN_USE: "Wait for the run or the other window it names, or close it, then try again.",
  INTERNAL: "Restart Assay and report it with the details below; your data was not changed.",
  WRONG_PASSPHRASE: "Check the passphrase (it is case-sensitive) and try again.",
  KEYRING_UNAVAILABLE: "Unlock or start your system's keyring (Secret Service), then try again.",
  DISK_FULL: "Free some space on the disk, then try again; nothing was changed.",
  PROVIDER_AUTH: "Set or replace the endpoint's key in Settings → Endpoints.",
  PROVIDER_UNREACHABLE: "Check the network or the endpoint's address in Settings, then try again.",
  PROVIDER_RATE_LIMITED: "Wait a minute, or lower the endpoint's concurrency in Settings.",
  MODEL_NOT_FOUND: "Pick a model the endpoint lists (Settings → Endpoints → Test).",
  OUT_OF_CREDIT: "Add credit with the provider, then resume.",
  PRICE_UNKNOWN: "Allow unpriced models for this run, or set a token budget.",
  RUN_STATE: "Refresh the run: it changed state meanwhile.",
  IPC_UNAVAILABLE: "Restart Assay; if it happens again, report it with the details below.",
};

/** The next step for `code`, if there is an obvious one. */
export function adviceFor(code: string): string | null {
  return advice[code as ErrorCode] ?? null;
}

/** Core's message as a sentence: a capital first letter and a closing full stop. */
export function sentence(message: string): string {
  const text = message.trim();
  if (!text) return text;
  const capital = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
