// Playwright drives Debian's chromium against real Nagare servers started by scripts/test.sh:
//   E2E_DEMO_URL  — a server seeded with the demo organisation
//   E2E_EMPTY_URL — a server on an empty database (the hand-computed scenario posts into it)
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  forbidOnly: true,
  retries: 1,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    headless: true,
    testIdAttribute: 'data-test',
    viewport: { width: 1400, height: 1000 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
