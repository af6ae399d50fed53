import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { changedFields } from "./ChangeLog";
import { fieldErrors, minutesOrNull, orNull } from "./fieldErrors";

describe("fieldErrors", () => {
  it("puts each problem the API names next to its field, the rest above the buttons", () => {
    const error = new ApiError(422, "validation_failed", "the request breaks a validation rule", [
      { field: "rate", problem: "at most 2 decimals" },
      { field: "(body)", problem: "a rule needs a match field" },
    ] as never);
    expect(fieldErrors(error, ["rate", "note"])).toEqual({ rate: "at most 2 decimals", "": "a rule needs a match field" });
  });
  it("shows an error naming no field as a whole", () => {
    expect(fieldErrors(new ApiError(403, "forbidden", "not allowed"), ["rate"])).toEqual({ "": "not allowed" });
    expect(fieldErrors(null, ["rate"])).toEqual({});
  });
});

describe("request values", () => {
  it("clears empty fields with null and sends minutes as integers only when they are digits", () => {
    expect(orNull("  ")).toBeNull();
    expect(orNull(" Bug ")).toBe("Bug");
    expect(minutesOrNull("15")).toBe(15);
    expect(minutesOrNull("1.5")).toBe("1.5");
    expect(minutesOrNull("")).toBeNull();
  });
});

describe("changedFields", () => {
  it("lists the differing fields of an update, without timestamps", () => {
    expect(changedFields({ rate: "60.00", note: "x", updated_at: "a" }, { rate: "65.50", note: "x", updated_at: "b" }))
      .toEqual([{ field: "rate", before: "60.00", after: "65.50" }]);
  });
  it("lists the filled fields of a new row in reading order", () => {
    expect(changedFields(null, { note: "n", rate: "1.00", application_key: "A", issue_type: null }).map((d) => d.field))
      .toEqual(["application_key", "rate", "note"]);
  });
});
