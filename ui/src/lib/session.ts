// Opening a profile with live setup progress. The progress channel belongs to this one call,
// so only the window that asked sees its events.

import { Channel } from "@tauri-apps/api/core";
import { commands, type ProfileSession_Serialize, type SetupStatus } from "./bindings";
import { call } from "./ipc";

export type Session = ProfileSession_Serialize;

/** Opens `reference` in this window, calling `onProgress` for each setup step. */
export function openProfile(
  reference: string,
  passphrase: string | null,
  onProgress: (status: SetupStatus) => void,
): Promise<Session> {
  const channel = new Channel<SetupStatus>();
  channel.onmessage = onProgress;
  return call(() => commands.profileOpen(reference, passphrase, channel));
}

/** Runs setup again after a failure. */
export function retrySetup(onProgress: (status: SetupStatus) => void): Promise<Session> {
  const channel = new Channel<SetupStatus>();
  channel.onmessage = onProgress;
  return call(() => commands.profileRetrySetup(channel));
}

/** A one-line description of a setup status, and its progress from 0 to 1. */
export function describeStatus(status: SetupStatus): { label: string; fraction: number } {
  switch (status.phase) {
    case "opening":
      return { label: "Opening your profile…", fraction: 0.05 };
    case "migrating":
      return { label: "Preparing the database…", fraction: 0.15 };
    case "seeding": {
      const { done, total } = status.progress;
      const share = total > 0 ? done / total : 0;
      return { label: `Adding starter content (${done} of ${total})…`, fraction: 0.2 + 0.8 * share };
    }
    case "ready":
      return { label: "Ready", fraction: 1 };
    case "failed":
      return { label: `Setup failed: ${status.reason}`, fraction: 1 };
    case "pending":
      return { label: "Waiting to set up…", fraction: 0 };
  }
}
