// Polling with a bound, for conditions outside a page (the admin API, say). The
// bound only turns a hang into a failure; nothing is timed.

const POLL_MS = 100;

/**
 * Calls `probe` until it returns a truthy value, and returns that value.
 * @template T
 * @param {() => Promise<T> | T} probe
 * @param {{timeout?: number, what?: string}} [options]
 * @returns {Promise<T>}
 */
export async function waitUntil(probe, { timeout = 30_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
