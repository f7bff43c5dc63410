// Opening a profile with live setup progress. The progress channel belongs to this one call,
// so only the window that asked sees its events, and each event names its profile.

import { Channel } from "@tauri-apps/api/core";
import { commands, type ProfileSession_Serialize, type SetupEvent, type SetupStatus } from "./bindings";
import { IpcFailure, call } from "./ipc";

export type Session = ProfileSession_Serialize;

/**
 * Opens profiles in one window so that the profile picked last wins. If the person picks A and
 * then B before A is open, A's progress is not shown and A's result is dropped (`null`), in
 * whatever order the two finish; the shell likewise refuses A with `SUPERSEDED`.
 */
export class ProfileOpener {
  private latest = 0;

  /** Opens profile `id`, calling `onProgress` for each of its setup steps. */
  async open(
    id: string,
    passphrase: string | null,
    onProgress: (status: SetupStatus) => void,
  ): Promise<Session | null> {
    const ticket = ++this.latest;
    const current = () => ticket === this.latest;
    const channel = new Channel<SetupEvent>();
    channel.onmessage = (event) => {
      if (current() && event.profile_id === id) onProgress(event.status);
    };
    try {
      const session = await call(() => commands.profileOpen(id, passphrase, channel));
      return current() ? session : null;
    } catch (e) {
      if (!current() || (e instanceof IpcFailure && e.code === "SUPERSEDED")) return null;
      throw e;
    }
  }

  /** Drops whatever open is under way (the window's profile is being closed). */
  cancel(): void {
    this.latest++;
  }
}

/** Runs setup of the window's profile again after a failure. */
export function retrySetup(onProgress: (status: SetupStatus) => void): Promise<Session> {
  const channel = new Channel<SetupEvent>();
  channel.onmessage = (event) => onProgress(event.status);
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
