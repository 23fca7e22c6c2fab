// Headless Chromium as the docs tests drive it: Debian's package, never a downloaded build.
export const CHROMIUM = process.env.SMELT_CHROMIUM ?? '/usr/bin/chromium';
export const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
