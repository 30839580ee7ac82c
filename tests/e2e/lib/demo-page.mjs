// What tests read from, and do to, the demo page (web/index.html). Only the page's
// test hooks are used (interface-v1 "Demo page"): [data-testid=status], remote
// <video data-testid="remote-video" data-peer>, and the probes of browser.mjs.

/** How long a page may take to reach a state; a bound for failures, not a speed test. */
export const WAIT_MS = 60_000;
const POLL_MS = 100;

/** The demo page's URL for `room`, joining at once. */
export function demoUrl(base, room) {
  return `${base}/?room=${encodeURIComponent(room)}&autostart=1`;
}

/** A room name no other test uses. */
export function uniqueRoom(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function status(page) {
  return page.locator('[data-testid="status"]').textContent();
}

export async function statusHistory(page) {
  return page.evaluate(() => window.__parleyProbes.statusHistory);
}

/** Waits until the page's status keyword is `expected`. */
export async function waitForStatus(page, expected, { timeout = WAIT_MS } = {}) {
  try {
    await page.waitForFunction(
      (want) => document.querySelector('[data-testid="status"]')?.textContent === want,
      expected,
      { timeout, polling: POLL_MS },
    );
  } catch (err) {
    const history = await statusHistory(page).catch(() => []);
    throw new Error(`status never became '${expected}' (history: ${history.join(' -> ')})`, {
      cause: err,
    });
  }
}

/** The data-peer of every remote video, sorted. */
export async function remotePeers(page) {
  const peers = await page
    .locator('[data-testid="remote-video"]')
    .evaluateAll((videos) => videos.map((v) => v.dataset.peer));
  return peers.sort();
}

/** connectionState of every RTCPeerConnection the page made and did not close. */
export async function peerConnectionStates(page) {
  return page.evaluate(() =>
    window.__parleyProbes.peerConnections
      .map((pc) => pc.connectionState)
      .filter((s) => s !== 'closed'),
  );
}

/** Waits until the page has exactly `count` open peer connections, all `connected`. */
export async function waitForPeerConnections(page, count, { timeout = WAIT_MS } = {}) {
  try {
    await page.waitForFunction(
      (n) => {
        const open = window.__parleyProbes.peerConnections.filter(
          (pc) => pc.connectionState !== 'closed',
        );
        return open.length === n && open.every((pc) => pc.connectionState === 'connected');
      },
      count,
      { timeout, polling: POLL_MS },
    );
  } catch (err) {
    const states = await peerConnectionStates(page).catch(() => []);
    throw new Error(`expected ${count} connected peer connections, have [${states.join(', ')}]`, {
      cause: err,
    });
  }
}

/**
 * Waits until the page shows exactly `count` remote videos that play real frames:
 * each has a picture size and its currentTime moved past where it was when called.
 */
export async function waitForPlayingVideos(page, count, { timeout = WAIT_MS } = {}) {
  const before = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid="remote-video"]')].map((v) => [
        v.dataset.peer,
        v.currentTime,
      ]),
    ),
  );
  try {
    await page.waitForFunction(
      ({ n, start }) => {
        const videos = [...document.querySelectorAll('[data-testid="remote-video"]')];
        return (
          videos.length === n &&
          videos.every(
            (v) => v.videoWidth > 0 && !v.paused && v.currentTime > (start[v.dataset.peer] ?? 0),
          )
        );
      },
      { n: count, start: before },
      { timeout, polling: POLL_MS },
    );
  } catch (err) {
    const videos = await page
      .locator('[data-testid="remote-video"]')
      .evaluateAll((vs) =>
        vs.map(
          (v) =>
            `${v.dataset.peer}: ${v.videoWidth}x${v.videoHeight} t=${v.currentTime} paused=${v.paused}`,
        ),
      )
      .catch(() => []);
    throw new Error(`expected ${count} playing remote videos, have [${videos.join('; ')}]`, {
      cause: err,
    });
  }
}

/** Everything a connected call promises: status, peer connections, playing videos. */
export async function waitForCall(page, otherPeers) {
  await waitForStatus(page, 'connected');
  await waitForPeerConnections(page, otherPeers);
  await waitForPlayingVideos(page, otherPeers);
}

export async function hangUp(page) {
  await page.locator('[data-testid="hangup"]').click();
}
