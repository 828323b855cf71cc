import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { Enum, MapField, Root, type Field, type Type } from "protobufjs";

/** Envoy's own v3 API protos, as shipped by @grpc/grpc-js-xds (deps/), plus protobufjs's descriptor.proto. */
const XDS_DEPS = path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const INCLUDE_DIRS = [
  ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((dir) => path.join(XDS_DEPS, dir)),
  path.dirname(require.resolve("protobufjs/package.json")),
];
const BOOTSTRAP = "envoy.config.bootstrap.v3.Bootstrap";

const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const WRAPPERS: Record<string, string> = {
  ".google.protobuf.DoubleValue": "double",
  ".google.protobuf.FloatValue": "float",
  ".google.protobuf.Int64Value": "int64",
  ".google.protobuf.UInt64Value": "uint64",
  ".google.protobuf.Int32Value": "int32",
  ".google.protobuf.UInt32Value": "uint32",
  ".google.protobuf.BoolValue": "bool",
  ".google.protobuf.StringValue": "string",
  ".google.protobuf.BytesValue": "bytes",
};

const BOUND =
  /^\(validate\.rules\)\.(u?int32|u?int64|s?fixed(?:32|64)|double|float|duration)\.(gt|gte|lt|lte)(?:\.(seconds|nanos))?$/;

/** The number a checked value stands for: itself, a wrapper's value, or a duration in seconds. */
function numeric(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as { value?: unknown; seconds?: unknown; nanos?: unknown };
  if (typeof v.value === "number") return v.value;
  if (typeof v.seconds === "number" || typeof v.nanos === "number") {
    return (
      (typeof v.seconds === "number" ? v.seconds : 0) + (typeof v.nanos === "number" ? v.nanos : 0) / 1e9
    );
  }
  return undefined;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Validates an Envoy bootstrap (as parsed from YAML, i.e. the proto3 JSON mapping) against Envoy's
 * v3 protos, strictly: unknown or deprecated fields, bad enum names, wrong scalar types, two members
 * of a oneof, missing protoc-gen-validate `required` / `min_len` / `min_items`, and every Any
 * (`typed_config`) whose `@type` does not resolve are errors. Each message is then built with
 * protobufjs `fromObject`, checked with `verify` and encoded, so the result is a real Bootstrap.
 */
export class EnvoySchema {
  private readonly root = new Root();
  private readonly loadedDirs = new Set<string>();

  constructor() {
    this.root.resolvePath = (_origin, target) => {
      if (path.isAbsolute(target)) return target;
      for (const dir of INCLUDE_DIRS) {
        const candidate = path.join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
    this.root.loadSync("envoy/config/bootstrap/v3/bootstrap.proto", { keepCase: true });
    this.root.resolveAll();
  }

  /** Every problem found, each prefixed with its path in the document; [] when valid. */
  validateBootstrap(document: unknown): string[] {
    return this.encodeBootstrap(document).errors;
  }

  /** The document as Bootstrap wire bytes (every Any packed), or the problems that prevent it. */
  encodeBootstrap(document: unknown): { errors: string[]; bytes: Uint8Array | undefined } {
    const errors: string[] = [];
    const type = this.root.lookupType(BOOTSTRAP);
    const normalized = this.message(type, document, "$", errors);
    const bytes = errors.length === 0 ? this.build(type, normalized, "$", errors) : undefined;
    return { errors, bytes };
  }

  /** Decodes wire bytes of a message type to a plain object (Any values stay packed). */
  decode(typeName: string, bytes: Uint8Array): Record<string, unknown> {
    const type = this.root.lookupType(typeName);
    return type.toObject(type.decode(bytes), { longs: Number });
  }

  /** The message type an Any's `@type` URL names, loading its package's protos on demand. */
  resolveTypeUrl(typeUrl: string): Type | undefined {
    const slash = typeUrl.lastIndexOf("/");
    if (slash < 0 || typeUrl.slice(0, slash) !== "type.googleapis.com") return undefined;
    const name = typeUrl.slice(slash + 1);
    const found = this.lookup(name);
    if (found) return found;
    // Extensions are not imported by bootstrap.proto: load the package directory the name points at.
    const parts = name.split(".");
    for (let n = parts.length - 1; n > 0; n--) {
      const rel = parts.slice(0, n).join("/");
      const dir = INCLUDE_DIRS.map((d) => path.join(d, rel)).find((d) => existsSync(d));
      if (!dir) continue;
      if (!this.loadedDirs.has(dir)) {
        this.loadedDirs.add(dir);
        const files = readdirSync(dir).filter((f) => f.endsWith(".proto"));
        this.root.loadSync(
          files.map((f) => path.join(dir, f)),
          { keepCase: true },
        );
        this.root.resolveAll();
      }
      return this.lookup(name);
    }
    return undefined;
  }

  private lookup(name: string): Type | undefined {
    try {
      return this.root.lookupType(name);
    } catch {
      return undefined;
    }
  }

  private build(type: Type, value: unknown, at: string, errors: string[]): Uint8Array | undefined {
    try {
      const message = type.fromObject(value as Record<string, unknown>);
      const problem = type.verify(message);
      if (problem) {
        errors.push(`${at}: ${type.fullName} does not verify: ${problem}`);
        return undefined;
      }
      return type.encode(message).finish();
    } catch (error) {
      errors.push(`${at}: ${type.fullName} cannot be built: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Checks one message in JSON form and returns it in protobufjs object form (for fromObject). */
  private message(type: Type, value: unknown, at: string, errors: string[]): unknown {
    const wkt = this.wellKnown(type, value, at, errors);
    if (wkt !== undefined) return wkt.value;
    if (!isObject(value)) {
      errors.push(`${at}: expected an object for ${type.fullName}`);
      return {};
    }
    const out: Record<string, unknown> = {};
    const byName = new Map<string, Field>();
    for (const field of type.fieldsArray) {
      byName.set(field.name, field);
      byName.set(camel(field.name), field);
    }
    for (const [key, child] of Object.entries(value)) {
      const field = byName.get(key);
      const here = `${at}.${key}`;
      if (!field) {
        errors.push(`${here}: unknown field in ${type.fullName}`);
        continue;
      }
      if (field.options?.deprecated === true) errors.push(`${here}: deprecated field of ${type.fullName}`);
      if (child === null) continue;
      out[field.name] = this.field(field, child, here, errors);
    }
    const present = (field: Field) => out[field.name] !== undefined;
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter(present);
      if (set.length > 1) {
        errors.push(`${at}: ${set.map((f) => f.name).join(" and ")} are one of ${oneof.name}`);
      }
      if (set.length === 0 && oneof.options?.["(validate.required)"] === true) {
        errors.push(`${at}: one of ${oneof.fieldsArray.map((f) => f.name).join(", ")} is required`);
      }
    }
    for (const field of type.fieldsArray) this.rules(field, out[field.name], `${at}.${field.name}`, errors);
    return out;
  }

  /** The protoc-gen-validate rules Envoy enforces that matter most for a hand-written config. */
  private rules(field: Field, value: unknown, at: string, errors: string[]): void {
    // protoc-gen-validate checks a oneof member only when it is the one set.
    if (field.partOf && value === undefined) return;
    const o = (field.options ?? {}) as Record<string, unknown>;
    const required =
      o["(validate.rules).message.required"] === true ||
      o["(validate.rules).duration.required"] === true ||
      o["(validate.rules).any.required"] === true;
    if (required && value === undefined) errors.push(`${at}: is required`);
    const minLen = o["(validate.rules).string.min_len"];
    if (typeof minLen === "number" && minLen > 0 && (typeof value !== "string" || value.length < minLen)) {
      errors.push(`${at}: must have at least ${minLen} character(s)`);
    }
    this.bounds(o, value, at, errors);
    const minItems = o["(validate.rules).repeated.min_items"];
    if (typeof minItems === "number" && (!Array.isArray(value) || value.length < minItems)) {
      errors.push(`${at}: must have at least ${minItems} item(s)`);
    }
  }

  /** Numeric and duration bounds (gt/gte/lt/lte), on plain numbers, wrappers and durations alike. */
  private bounds(options: Record<string, unknown>, value: unknown, at: string, errors: string[]): void {
    const n = numeric(value);
    if (n === undefined) return;
    const limits = new Map<string, number>();
    for (const [key, bound] of Object.entries(options)) {
      const m = BOUND.exec(key);
      if (!m || typeof bound !== "number") continue;
      const [, kind, op, unit] = m;
      const scaled = kind === "duration" ? (unit === "nanos" ? bound / 1e9 : bound) : bound;
      limits.set(op!, (limits.get(op!) ?? 0) + scaled);
    }
    const ok: Record<string, (limit: number) => boolean> = {
      gt: (l) => n > l,
      gte: (l) => n >= l,
      lt: (l) => n < l,
      lte: (l) => n <= l,
    };
    for (const [op, limit] of limits) {
      if (!ok[op]!(limit)) errors.push(`${at}: ${n} must be ${op} ${limit}`);
    }
  }

  private field(field: Field, value: Json, at: string, errors: string[]): unknown {
    if (field instanceof MapField) {
      if (!isObject(value)) {
        errors.push(`${at}: expected a map`);
        return {};
      }
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.single(field, v, `${at}[${k}]`, errors)]),
      );
    }
    if (field.repeated) {
      if (!Array.isArray(value)) {
        errors.push(`${at}: expected a list`);
        return [];
      }
      return value.map((item, i) => this.single(field, item, `${at}[${i}]`, errors));
    }
    return this.single(field, value, at, errors);
  }

  private single(field: Field, value: Json, at: string, errors: string[]): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof Enum) {
      const ok =
        (typeof value === "string" && value in resolved.values) ||
        (typeof value === "number" && value in resolved.valuesById);
      if (!ok) errors.push(`${at}: ${JSON.stringify(value)} is not a value of ${resolved.fullName}`);
      return value;
    }
    if (resolved) return this.message(resolved, value, at, errors);
    return this.scalar(field.type, value, at, errors);
  }

  private scalar(kind: string, value: Json, at: string, errors: string[]): unknown {
    const fail = () => {
      errors.push(`${at}: ${JSON.stringify(value)} is not a ${kind}`);
      return undefined;
    };
    switch (kind) {
      case "string":
        return typeof value === "string" ? value : fail();
      case "bytes":
        return typeof value === "string" && /^[A-Za-z0-9+/=_-]*$/.test(value) ? value : fail();
      case "bool":
        return typeof value === "boolean" ? value : fail();
      case "double":
      case "float":
        return typeof value === "number" ? value : fail();
      default: {
        // Integers; 64-bit ones may be strings in the JSON mapping.
        const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isInteger(n)) return fail();
        if (kind.startsWith("u") || kind.startsWith("fixed")) {
          if (n < 0) return fail();
        }
        if (kind.endsWith("32") && Math.abs(n) > 0xffff_ffff) return fail();
        return n;
      }
    }
  }

  /** The proto3 JSON forms of well-known types; undefined when `type` is an ordinary message. */
  private wellKnown(
    type: Type,
    value: unknown,
    at: string,
    errors: string[],
  ): { value: unknown } | undefined {
    const name = type.fullName;
    if (name === ".google.protobuf.Duration") {
      if (typeof value !== "string" || !DURATION.test(value)) {
        errors.push(`${at}: ${JSON.stringify(value)} is not a duration like "1.5s"`);
        return { value: {} };
      }
      const [whole = "0", fraction = ""] = value.slice(0, -1).split(".");
      return { value: { seconds: Number(whole), nanos: Number(fraction.padEnd(9, "0")) } };
    }
    const wrapped = WRAPPERS[name];
    if (wrapped) return { value: { value: this.scalar(wrapped, value as Json, at, errors) } };
    if (name === ".google.protobuf.Any") return { value: this.any(value, at, errors) };
    if (name === ".google.protobuf.Struct") {
      if (!isObject(value)) errors.push(`${at}: expected an object (Struct)`);
      // The JSON form of a Struct is any object; protobufjs has no converter, so it is checked, not built.
      return { value: {} };
    }
    if (name === ".google.protobuf.Value" || name === ".google.protobuf.ListValue") return { value: {} };
    if (name === ".google.protobuf.Timestamp" || name === ".google.protobuf.FieldMask") {
      if (typeof value !== "string") errors.push(`${at}: expected a string for ${name}`);
      return { value: {} };
    }
    return undefined;
  }

  private any(value: unknown, at: string, errors: string[]): unknown {
    if (!isObject(value) || typeof value["@type"] !== "string") {
      errors.push(`${at}: an Any needs "@type"`);
      return {};
    }
    const { "@type": typeUrl, ...rest } = value;
    const type = this.resolveTypeUrl(typeUrl);
    if (!type) {
      errors.push(`${at}: @type ${typeUrl} does not name a message in Envoy's protos`);
      return {};
    }
    const here = `${at}<${type.name}>`;
    // A well-known type inside an Any carries its JSON form under "value".
    const inner = this.wellKnown(type, rest.value, here, []) !== undefined ? rest.value : rest;
    const before = errors.length;
    const normalized = this.message(type, inner, here, errors);
    if (errors.length > before) return {};
    const bytes = this.build(type, normalized, here, errors);
    return { type_url: typeUrl, value: bytes ?? new Uint8Array() };
  }
}
