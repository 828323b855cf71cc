interface IntBounds {
  readonly min?: number;
  readonly max?: number;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/** Typed, validated reads of environment variables; problems are collected, not thrown. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  problem(name: string, text: string): void {
    this.problems.push(`${name} ${text}`);
  }

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  requiredString(name: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problem(name, "is required");
    return value ?? "";
  }

  int(name: string, fallback: number, bounds: IntBounds = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return this.parseInt(name, value, bounds) ?? fallback;
  }

  private parseInt(name: string, text: string, { min, max }: IntBounds): number | undefined {
    const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) {
      this.problem(name, `must be a whole number, got "${text}"`);
      return undefined;
    }
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      this.problem(name, `must be within ${min ?? "-∞"}..${max ?? "∞"}, got ${n}`);
      return undefined;
    }
    return n;
  }

  intList(name: string, fallback: readonly number[], bounds: IntBounds = {}): readonly number[] {
    const value = this.env[name];
    if (value === undefined) return fallback;
    const parts = this.list(name);
    const numbers = parts.map((part) => this.parseInt(name, part, bounds));
    return numbers.every((n) => n !== undefined) ? numbers : fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    this.problem(name, `must be true or false, got "${value}"`);
    return fallback;
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(name, `must be one of ${allowed.join(", ")}, got "${value}"`);
    return fallback;
  }

  /** A comma-separated list; blanks dropped. */
  list(name: string): string[] {
    return (this.env[name] ?? "")
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  }

  urlList(name: string): URL[] {
    const parts = this.list(name);
    if (parts.length === 0) this.problem(name, "is required (an http:// or https:// URL, or a comma list)");
    const urls: URL[] = [];
    for (const part of parts) {
      try {
        const url = new URL(part);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
        urls.push(url);
      } catch {
        this.problem(name, `must be http:// or https:// URLs, got "${part}"`);
      }
    }
    return urls;
  }
}
