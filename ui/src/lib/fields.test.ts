import { describe, expect, it } from "vitest";
import { fieldError } from "./fields";

describe("fieldError", () => {
  it("splits a field-prefixed message", () => {
    expect(fieldError("models[0].temperature: must be between 0 and 2")).toEqual({
      field: "models[0].temperature",
      text: "must be between 0 and 2",
    });
    expect(fieldError("variables.STYLE: not another content item").field).toBe("variables.STYLE");
  });

  it("leaves other messages whole", () => {
    expect(fieldError("content \"x\" is still used by preset P")).toEqual({ field: null, text: "content \"x\" is still used by preset P" });
  });
});
