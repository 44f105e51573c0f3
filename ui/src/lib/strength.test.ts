import { describe, expect, it } from "vitest";
import { entropyBits, strength } from "./strength";

describe("strength", () => {
  it("says nothing for an empty passphrase", () => {
    expect(strength("")).toEqual({ score: 0, label: "", hint: "" });
  });

  it("calls common and repeated passphrases weak", () => {
    for (const p of ["password", "Password1", "aaaaaaaaaaaa", "123456789", "coffer2026"]) {
      expect(strength(p).score, p).toBe(1);
    }
  });

  it("calls several unrelated words strong", () => {
    expect(strength("correct horse battery staple").score).toBeGreaterThanOrEqual(3);
    expect(strength("tundra-violin-pepper-orbit-lantern").score).toBe(4);
  });

  it("grows with length and with kinds of characters", () => {
    expect(entropyBits("abcdefgh")).toBeLessThan(entropyBits("abcdefghijkl"));
    expect(entropyBits("abcdefgh")).toBeLessThan(entropyBits("abcDEF1!"));
  });

  it("counts non-ASCII characters", () => {
    expect(entropyBits("žluťoučký kůň")).toBeGreaterThan(entropyBits("zlutoucky kun"));
  });
});
