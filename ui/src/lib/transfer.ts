// Export and import progress: the shell sends core's reports on a channel of the call.

import { Channel } from "@tauri-apps/api/core";
import type { TransferPhase, TransferProgress } from "./bindings";

const LABELS: Record<TransferPhase, string> = {
  key: "Deriving the key from the passphrase",
  snapshot: "Copying the database",
  write: "Writing the bundle",
  verify: "Checking what was written",
  check: "Checking the bundle",
  read: "Reading the bundle into the new profile",
  finish: "Setting up the new profile",
};

/** A label, and the fraction done from 0 to 1 (`null`: a phase without a byte count). */
export function describeTransfer(p: TransferProgress): { label: string; fraction: number | null } {
  const label = LABELS[p.phase];
  if (p.total === 0) return { label: `${label}…`, fraction: null };
  const fraction = Math.min(1, p.done / p.total);
  const mib = (b: number) => (b / 1048576).toFixed(1);
  return { label: `${label}: ${Math.floor(fraction * 100)}% (${mib(p.done)} of ${mib(p.total)} MiB)`, fraction };
}

/** A channel that hands each report to `onProgress`. */
export function progressChannel(onProgress: (p: TransferProgress) => void): Channel<TransferProgress> {
  const channel = new Channel<TransferProgress>();
  channel.onmessage = onProgress;
  return channel;
}
