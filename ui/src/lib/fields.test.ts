import { describe, expect, it } from "vitest";
import { fieldError, fieldErrors, standingProblems, valueAt } from "./fields";

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

describe("fieldErrors", () => {
  it("keeps every problem of a multi-line message, by field", () => {
    const found = fieldErrors("name: use 1–200 characters\nmodels[0].temperature: must be between 0 and 2\ninputs: choose at least one input document");
    expect(found.byField.get("name")).toBe("use 1–200 characters");
    expect(found.byField.get("models[0].temperature")).toBe("must be between 0 and 2");
    expect(found.byField.get("inputs")).toBe("choose at least one input document");
    expect(found.all).toHaveLength(3);
    expect(found.other).toEqual([]);
  });

  it("puts lines without a field in other", () => {
    const found = fieldErrors("database error: disk full");
    expect(found.byField.size).toBe(0);
    expect(found.other).toEqual(["database error: disk full"]);
  });
});

describe("standingProblems", () => {
  const refusedDraft = { name: "Taken", config: { models: [{ model: "" }] }, inputs: [] };
  const refused = ["name: already exists", "models[0].model: must not be empty", "inputs: choose at least one"];

  it("drops a fixed problem at once and keeps a save-only one while its field is unchanged", () => {
    const current = { name: "Taken", config: { models: [{ model: "gpt" }] }, inputs: [] };
    // The fresh check no longer finds the empty model; it cannot know the name is taken.
    expect(standingProblems(refused, refusedDraft, ["inputs: choose at least one"], current)).toEqual([
      "inputs: choose at least one",
      "name: already exists",
    ]);
  });

  it("drops a save-only problem once its field changes", () => {
    const current = { name: "Free", config: { models: [{ model: "gpt" }] }, inputs: ["i"] };
    expect(standingProblems(refused, refusedDraft, [], current)).toEqual([]);
  });

  it("reads field paths in the draft or its config", () => {
    expect(valueAt(refusedDraft, "models[0].model")).toBe("");
    expect(valueAt(refusedDraft, "name")).toBe("Taken");
  });
});
