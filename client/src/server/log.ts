/** The levels the other services take (pino's), least severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One structured log line, written at `level`. */
export type LogLine = { level: Exclude<LogLevel, 'silent'>; msg: string } & Record<string, unknown>;
export type Log = (line: LogLine) => void;

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Writes each line at `level` or above as one JSON line, as the other services' loggers do. */
export function createLog(level: LogLevel, write = (text: string) => void process.stdout.write(text)): Log {
  const lowest = LOG_LEVELS.indexOf(level);
  return (line) => {
    if (LOG_LEVELS.indexOf(line.level) < lowest) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), service: 'client', ...line })}\n`);
  };
}
