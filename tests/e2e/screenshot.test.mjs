// Saves screenshots of a connected call, on a laptop-sized and on a phone-sized
// screen, under tests/e2e/artifacts/ (not committed) and prints their paths, so that
// a person can look at what the demo page really shows.

import { test } from 'node:test';
import { artifactPath, SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { demoUrl, uniqueRoom, waitForCall, waitForStatus } from './lib/demo-page.mjs';

test('screenshots of a connected call', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t);
  await env.run(async () => {
    const room = uniqueRoom('screens');
    const laptop = await env.open(demoUrl(env.daemon.url, room), { name: 'laptop' });
    await waitForStatus(laptop, 'waiting');
    const waitingShot = await artifactPath('waiting-laptop.png');
    await laptop.screenshot({ path: waitingShot });
    console.log(`screenshot: ${waitingShot}`);

    const phone = await env.open(demoUrl(env.daemon.url, room), {
      name: 'phone',
      viewport: { width: 390, height: 844 },
      isMobile: true,
    });
    await waitForCall(laptop, 1);
    await waitForCall(phone, 1);

    for (const [page, file] of [
      [laptop, 'call-laptop.png'],
      [phone, 'call-phone.png'],
    ]) {
      const shot = await artifactPath(file);
      await page.screenshot({ path: shot });
      console.log(`screenshot: ${shot}`);
    }

    const lobby = await env.open(`${env.daemon.url}/`, {
      name: 'lobby',
      viewport: { width: 390, height: 844 },
      isMobile: true,
    });
    await waitForStatus(lobby, 'left');
    const lobbyShot = await artifactPath('lobby-phone.png');
    await lobby.screenshot({ path: lobbyShot });
    console.log(`screenshot: ${lobbyShot}`);
  });
});
