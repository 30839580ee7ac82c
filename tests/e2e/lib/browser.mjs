// Launches Debian's Chromium through playwright-core: headless, with exactly the
// flags below (playwright's own defaults are left out), a fresh user-data directory,
// and a fake camera and microphone that need no permission prompt.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

/**
 * Installed in every page before its scripts run: records each RTCPeerConnection the
 * page creates and every value the status element takes, so that tests can look at
 * them without knowing how the page is written.
 */
function installProbes() {
  const probes = { peerConnections: [], statusHistory: [] };
  window.__parleyProbes = probes;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      probes.peerConnections.push(this);
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    const status = document.querySelector('[data-testid="status"]');
    if (!status) return;
    const record = () => {
      const value = status.textContent;
      if (probes.statusHistory.at(-1) !== value) probes.statusHistory.push(value);
    };
    record();
    new MutationObserver(record).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
}

/**
 * @typedef {Object} Browser
 * @property {(url: string, options?: {name?: string, viewport?: {width: number, height: number}, isMobile?: boolean}) => Promise<import('playwright-core').Page>} open
 *     Opens `url` in a new, isolated browser context (its own cookies and storage).
 * @property {() => string} log  Console messages and page errors of every page so far.
 * @property {() => Promise<void>} close
 */

/** @returns {Promise<Browser>} */
export async function launchBrowser() {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'parley-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Only the arguments listed here reach Chromium: the flags above, plus what
    // playwright needs to talk to it and the fresh profile.
    ignoreDefaultArgs: true,
    args: [
      '--headless',
      '--remote-debugging-pipe',
      '--no-startup-window',
      `--user-data-dir=${userDataDir}`,
      ...CHROMIUM_FLAGS,
    ],
  });
  const logLines = [];
  let pageCount = 0;

  return {
    async open(url, { name, viewport = { width: 1280, height: 800 }, isMobile = false } = {}) {
      const label = name ?? `page${++pageCount}`;
      const context = await browser.newContext({ viewport, isMobile, hasTouch: isMobile });
      await context.addInitScript(installProbes);
      const page = await context.newPage();
      page.on('console', (message) =>
        logLines.push(`[${label} console.${message.type()}] ${message.text()}`),
      );
      page.on('pageerror', (error) =>
        logLines.push(`[${label} pageerror] ${error.stack ?? error}`),
      );
      await page.goto(url);
      return page;
    },
    log: () => logLines.join('\n'),
    async close() {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
