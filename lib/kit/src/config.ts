import { z } from 'zod';

/** Config fields shared by every service; defaults are the cluster's names. */
export const env = {
  port: (defaultPort: number) => z.coerce.number().int().min(1).max(65535).default(defaultPort),
  /** `METRICS_PORT`: where `/metrics` is served; unset or empty, the service serves no metrics. */
  metricsPort: () => z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(65535).optional()),
  urls: (defaultUrls: string[]) =>
    z
      .string()
      .default(defaultUrls.join(','))
      .transform((value) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  list: (defaultItems: string[]) =>
    z
      .string()
      .default(defaultItems.join(','))
      .transform((value) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  host: () => z.string().min(1).default('0.0.0.0'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Reads the environment once at start; a bad value exits 1 naming the variable. */
export function loadConfig<S extends z.ZodObject>(service: string, shape: S, source = process.env): z.infer<S> {
  const result = shape.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  process.stderr.write(`${service}: invalid configuration\n${problems.join('\n')}\n`);
  process.exit(1);
}
