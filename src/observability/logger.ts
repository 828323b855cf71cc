import winston from "winston";
import { activeSpanContext } from "./spans";

/** JSON lines on stdout. Errors are serialised with their stack, which only logs ever see. */
export function createLogger(level: string, silent = false): winston.Logger {
  const logger = winston.createLogger({
    level,
    silent,
    format: winston.format.combine(
      // Winston formats every line before its transports filter by level: drop disabled ones first.
      winston.format((info) => (logger.isLevelEnabled(info.level) ? info : false))(),
      winston.format.timestamp(),
      winston.format((info) => {
        for (const [key, value] of Object.entries(info)) {
          if (value instanceof Error) info[key] = serializeError(value);
        }
        // Lines written inside a span carry its ids (when tracing is on), unless given explicitly.
        const span = info.trace_id === undefined ? activeSpanContext() : undefined;
        if (span) {
          info.trace_id = span.traceId;
          info.span_id = span.spanId;
        }
        return info;
      })(),
      winston.format.json(),
    ),
    defaultMeta: { service: "delineate" },
    transports: [new winston.transports.Console()],
  });
  return logger;
}

function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.cause instanceof Error) out.cause = serializeError(error.cause);
  return out;
}
