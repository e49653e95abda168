/**
 * Galata in Debian's Chromium (Playwright cannot download a browser here).
 * Screenshots and failure artifacts go to ../test-artifacts/ui/.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.MLREADY_UI_PORT || '8899';
const baseURL = `http://localhost:${port}`;

module.exports = {
  ...baseConfig,
  outputDir: '../test-artifacts/ui/results',
  timeout: 200 * 1000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL,
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    // the server's log goes to a file next to the screenshots, not into the test report
    command: 'mkdir -p ../test-artifacts/ui && jlpm start > ../test-artifacts/ui/jupyter-server.log 2>&1',
    url: `${baseURL}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
