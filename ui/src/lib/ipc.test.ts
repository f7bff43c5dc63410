import { describe as suite, expect, it } from "vitest";
import { IpcFailure, call, describe, unwrap } from "./ipc";

suite("unwrap", () => {
  it("returns the data of an ok result", () => {
    expect(unwrap({ status: "ok", data: 42 })).toBe(42);
  });

  it("throws an IpcFailure carrying the shell's code, message and field problems", () => {
    const fields = [{ field: "name", problem: "is empty" }];
    const fail = () =>
      unwrap({ status: "error", error: { code: "INVALID_INPUT", message: "name: is empty", fields } });
    expect(fail).toThrow(IpcFailure);
    try {
      fail();
    } catch (e) {
      expect((e as IpcFailure).code).toBe("INVALID_INPUT");
      expect((e as IpcFailure).message).toBe("name: is empty");
      expect((e as IpcFailure).fields).toEqual(fields);
    }
  });
});

suite("unwrap of framework errors", () => {
  it("turns a string error (e.g. an ACL denial) into IPC_UNAVAILABLE", () => {
    expect(() => unwrap({ status: "error", error: "app_info not allowed" })).toThrow(
      expect.objectContaining({ code: "IPC_UNAVAILABLE", message: "app_info not allowed" }),
    );
  });
});

suite("call", () => {
  it("maps a framework rejection to IPC_UNAVAILABLE with its text", async () => {
    const rejected = call(() => Promise.reject("command app_info not allowed by ACL"));
    await expect(rejected).rejects.toMatchObject({
      code: "IPC_UNAVAILABLE",
      message: "command app_info not allowed by ACL",
    });
  });

  it("passes command errors through with their own code", async () => {
    const failed = call(() =>
      Promise.resolve({ status: "error" as const, error: { code: "IO" as const, message: "disk", fields: [] } }),
    );
    await expect(failed).rejects.toMatchObject({ code: "IO", message: "disk" });
  });
});

suite("describe", () => {
  it("describes errors, strings and other values on one line", () => {
    expect(describe(new Error("boom"))).toBe("boom");
    expect(describe("plain")).toBe("plain");
    expect(describe({ a: 1 })).toBe('{"a":1}');
  });
});
