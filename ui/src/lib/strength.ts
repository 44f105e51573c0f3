// A rough passphrase strength estimate: bits of entropy from length and the kinds of characters
// used, lowered for repeats and common patterns. Feedback only; any non-empty passphrase works.

export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
}

const COMMON = ["password", "passwort", "123456", "qwerty", "letmein", "welcome", "admin", "coffer", "secret"];

export function entropyBits(p: string): number {
  if (!p) return 0;
  let pool = 0;
  if (/[a-z]/.test(p)) pool += 26;
  if (/[A-Z]/.test(p)) pool += 26;
  if (/[0-9]/.test(p)) pool += 10;
  if (/[^a-zA-Z0-9\s]/.test(p)) pool += 33;
  if (/\s/.test(p)) pool += 1;
  if ([...p].some((c) => c.charCodeAt(0) > 127)) pool += 40;
  const unique = new Set(p).size;
  // Repeated characters add little: count length as a mix of total and distinct characters.
  const effective = Math.min(p.length, unique * 2 + Math.sqrt(p.length));
  let bits = effective * Math.log2(Math.max(pool, 2));
  const lower = p.toLowerCase();
  if (COMMON.some((c) => lower.includes(c))) bits -= 20;
  if (/^(.)\1+$/.test(p) || /^(0123|1234|abcd)/i.test(p)) bits -= 15;
  // Several words separated by spaces or dashes: a good passphrase shape.
  const words = p.split(/[\s\-_.]+/).filter((w) => w.length >= 3);
  if (words.length >= 4) bits = Math.max(bits, words.length * 11);
  return Math.max(0, bits);
}

export function strength(p: string): Strength {
  const bits = entropyBits(p);
  if (!p) return { score: 0, label: "", hint: "" };
  if (bits < 35) return { score: 1, label: "Weak", hint: "Easy to guess. Use several unrelated words." };
  if (bits < 55) return { score: 2, label: "Fair", hint: "Better. Another word or two makes it much stronger." };
  if (bits < 75) return { score: 3, label: "Good", hint: "Hard to guess." };
  return { score: 4, label: "Strong", hint: "Very hard to guess." };
}
