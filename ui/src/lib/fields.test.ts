import { describe, expect, it } from "vitest";
import { fieldErrors, problemOf, standingProblems, valueAt } from "./fields";

const p = (field: string, problem: string) => ({ field, problem });

describe("fieldErrors", () => {
  it("places each problem by its field and lists them all as lines", () => {
    const found = fieldErrors([
      p("name", "use 1–200 characters"),
      p("models[0].temperature", "must be between 0 and 2"),
      p("inputs", "choose at least one input document"),
    ]);
    expect(found.byField.get("models[0].temperature")).toBe("must be between 0 and 2");
    expect(found.all).toEqual([
      "name: use 1–200 characters",
      "models[0].temperature: must be between 0 and 2",
      "inputs: choose at least one input document",
    ]);
  });

  it("keeps the first problem of a field", () => {
    const found = fieldErrors([p("name", "first"), p("name", "second")]);
    expect(found.byField.get("name")).toBe("first");
    expect(found.all).toHaveLength(2);
  });

  it("finds one field's problem", () => {
    expect(problemOf([p("name", "taken")], "name")).toBe("taken");
    expect(problemOf([p("base_url", "no")], "name")).toBeNull();
  });
});

describe("standingProblems", () => {
  const refusedDraft = { name: "Taken", config: { models: [{ model: "" }] }, inputs: [] };
  const refused = [p("name", "already exists"), p("models[0].model", "must not be empty"), p("inputs", "choose at least one")];

  it("drops a fixed problem at once and keeps a save-only one while its field is unchanged", () => {
    const current = { name: "Taken", config: { models: [{ model: "gpt" }] }, inputs: [] };
    // The fresh check no longer finds the empty model; it cannot know the name is taken.
    expect(standingProblems(refused, refusedDraft, [p("inputs", "choose at least one")], current)).toEqual([
      p("inputs", "choose at least one"),
      p("name", "already exists"),
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
