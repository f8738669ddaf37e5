import type { LoggerService } from '@nestjs/common';
import type { LogFormat, LogLevel } from './log-level';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
/** Nest's start-up chatter (one line per module and route) is only worth seeing when debugging. */
const NEST_BOOT_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/**
 * The process-wide logger: one line per event, as text for a terminal or as JSON for a log
 * pipeline. Nest's `log`/`verbose` map onto rollcall's `info`/`trace`.
 */
export class NodeLogger implements LoggerService {
  private readonly max: number;

  constructor(
    level: LogLevel,
    private readonly format: LogFormat,
    private readonly node: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    this.max = RANK[level];
  }

  isEnabled(level: LogLevel): boolean {
    return RANK[level] <= this.max;
  }

  log(message: unknown, context?: string): void {
    this.emit(context && NEST_BOOT_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    // Nest passes (message, stack, context) for errors and (message, context) otherwise.
    const ctx = context ?? stackOrContext;
    const stack = context !== undefined ? stackOrContext : undefined;
    this.emit('error', message, ctx, stack);
  }
  warn(message: unknown, context?: string): void {
    this.emit('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.emit('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.emit('trace', message, context);
  }

  private emit(level: LogLevel, message: unknown, context?: string, stack?: string): void {
    if (RANK[level] > this.max) return;
    const text =
      message instanceof Error
        ? message.message
        : typeof message === 'string'
          ? message
          : JSON.stringify(message);
    const ts = new Date().toISOString();
    if (this.format === 'json') {
      const rec: Record<string, string> = {
        ts,
        level,
        node: this.node,
        context: context ?? 'rollcall',
        msg: text,
      };
      if (stack) rec.stack = stack;
      this.write(JSON.stringify(rec));
    } else {
      const line = `${ts} ${level.toUpperCase().padEnd(5)} [${context ?? 'rollcall'}] ${text}`;
      this.write(stack ? `${line}\n${stack}` : line);
    }
  }
}
