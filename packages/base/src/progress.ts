import cliProgress from 'cli-progress';

/** True when progress bars and chatty output should stay off (CI, tests, pipes). */
export function isQuiet(): boolean {
  return Boolean(process.env.CI || process.env.TANGENT_QUIET) || !process.stderr.isTTY;
}

export interface Progress {
  /** Advance by `n` units (default 1). */
  tick(n?: number): void;
  stop(): void;
}

/** A bar with rate and ETA on a TTY; silent in CI, tests and pipes. */
export function progress(label: string, total: number, unit = 'it'): Progress {
  if (isQuiet() || total <= 0) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  let done = 0;
  bar.start(total, 0, { rate: '0' });
  return {
    tick(n = 1) {
      done += n;
      const s = (performance.now() - t0) / 1000;
      bar.update(done, { rate: s > 0 ? (done / s).toFixed(1) : '0' });
    },
    stop() {
      bar.stop();
    },
  };
}

/** A one-line status message on stderr, unless quiet. */
export function log(message: string): void {
  if (!process.env.TANGENT_QUIET) process.stderr.write(`${message}\n`);
}
