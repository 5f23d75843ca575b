// Structured logs for every mk8s process: readable lines on a terminal, JSON lines otherwise
// (override with --log-format=text|json or MK8S_LOG_FORMAT).
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(component: string, format?: string): Logger {
  const fmt = format ?? process.env.MK8S_LOG_FORMAT ?? (process.stderr.isTTY ? 'text' : 'json');
  const text = winston.format.printf(({ level, message, timestamp, component: c, ...rest }) => {
    const extra = Object.keys(rest).length ? ' ' + Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '';
    return `${timestamp} ${level.toUpperCase().padEnd(5)} ${c}: ${message}${extra}`;
  });
  return winston.createLogger({
    level: process.env.MK8S_LOG_LEVEL ?? 'info',
    defaultMeta: { component },
    format: winston.format.combine(winston.format.timestamp(), fmt === 'text' ? text : winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}
