import { describe, expect, it } from "vitest";
import { adviceFor } from "./errors";

describe("adviceFor", () => {
  it("gives the next step for errors people can act on", () => {
    expect(adviceFor("WRONG_PASSPHRASE")).toMatch(/try again/);
    expect(adviceFor("PROVIDER_AUTH")).toMatch(/Settings/);
    expect(adviceFor("DISK_FULL")).toMatch(/Free some space/);
  });

  it("adds nothing where the message already says it all", () => {
    expect(adviceFor("CORRUPT")).toBeNull();
    expect(adviceFor("NOT_A_CODE")).toBeNull();
  });
});

describe("sentence", () => {
  it("reads core's message as a sentence", async () => {
    const { sentence } = await import("./errors");
    expect(sentence('the passphrase for profile "Vault" is wrong')).toBe('The passphrase for profile "Vault" is wrong.');
    expect(sentence("Done already.")).toBe("Done already.");
  });
});
