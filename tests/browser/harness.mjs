// What every browser test needs: the real `xunjiu` binary on a fresh database (seeded, with
// accounts), and Debian's Chromium driven by playwright-core. Time is injected: the server's
// clock and the browser's both start at START, so nothing depends on today's date.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

/** Mid-morning of 15 December 2026 in Tai'an: the winter campaign is running. */
export const START = new Date('2026-12-15T02:00:00Z');
export const PASSWORD = 'browser-test-passphrase';
export const ARTIFACTS = new URL('../../test-artifacts/screenshots/', import.meta.url).pathname;

const EXE = process.env.XUNJIU_BIN ?? new URL('../../target/debug/xunjiu', import.meta.url).pathname;
const MASTER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xunjiu';
const BASE = MASTER.slice(0, MASTER.lastIndexOf('/'));

function psql(sql) {
  execFileSync('psql', [`${BASE}/postgres`, '-X', '-q', '-c', sql], {
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function xunjiu(url, args, extraEnv = {}) {
  execFileSync(EXE, args, {
    env: { ...process.env, DATABASE_URL: url, NO_COLOR: '1', RUST_LOG: 'warn', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * A server of our own: `accounts` is a list of [username, role, ...flags]; `env` overrides its
 * settings; `commands` are more `xunjiu` invocations (argument lists) run before it starts. Returns the base URL, a `login(username)` that gives an API token, and `stop()`.
 */
export async function startServer(name, accounts, env = {}, commands = []) {
  const db = `xunjiu_browser_${name}`;
  psql(`drop database if exists ${db} with (force)`);
  psql(`create database ${db}`);
  const url = `${BASE}/${db}`;
  // The server and the commands before it seal and open stored credentials with one key.
  env = { XUNJIU_SECRET_KEY_FILE: `/tmp/xunjiu-browser-${name}.key`, ...env };
  xunjiu(url, ['seed']);
  for (const [username, role, ...flags] of accounts) {
    xunjiu(url, ['users', 'add', '--username', username, '--role', role, ...flags], { XUNJIU_PASSWORD: PASSWORD });
  }
  // Other set-up an operator does with the binary (`notify add …`).
  for (const args of commands) xunjiu(url, args, env);
  const child = spawn(EXE, ['serve'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      NO_COLOR: '1',
      XUNJIU_LISTEN: '127.0.0.1:0',
      XUNJIU_CLOCK_START: START.toISOString(),
      XUNJIU_WRITES_PER_MINUTE: '100000',
      XUNJIU_WRITE_BURST: '100000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stderr });
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`xunjiu serve exited with ${code}`)));
  });
  const server = {
    base,
    async api(method, path, token, body) {
      const response = await fetch(base + path, {
        method,
        headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    async login(username) {
      return (await server.api('POST', '/api/v1/auth/login', null, { username, password: PASSWORD })).token;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve()));
      psql(`drop database if exists ${db} with (force)`);
    },
  };
  return server;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A browser context whose clock starts at START; a phone if `at` (a position) is given. */
export async function newContext(browser, { at, viewport } = {}) {
  const context = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: viewport ?? (at ? { width: 360, height: 760 } : { width: 1400, height: 900 }),
    ...(at ? { geolocation: { latitude: at.lat, longitude: at.lon, accuracy: 12 }, permissions: ['geolocation'], isMobile: true, hasTouch: true } : {}),
  });
  await context.clock.install({ time: START });
  return context;
}

export async function logIn(page, base, path, username) {
  await page.goto(base + path);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login button[type=submit]');
}

export function screenshotPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS + name;
}
