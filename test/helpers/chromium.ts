// Opens a page in Debian's headless Chromium and reports what a person's browser would: console messages and
// uncaught errors, every network request, a screenshot, and values evaluated in the page. Talks the DevTools
// protocol over --remote-debugging-pipe (file descriptors 3 and 4: JSON messages ended by a NUL byte).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

export interface PageVisit {
  console: { type: string; text: string }[];
  errors: string[];
  requests: string[];
  screenshot: Buffer;
  values: unknown[];
}

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/** Loads `file`, waits for its load event, takes a full-page screenshot and evaluates `expressions`. */
export async function visit(file: string, expressions: string[] = []): Promise<PageVisit> {
  if (!CHROMIUM) throw new Error('Chromium is missing: apt-get install chromium');
  const profile = mkdtempSync(join(tmpdir(), 'segc-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless=new',
      '--remote-debugging-pipe',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const input = child.stdio[3] as Writable;
  const output = child.stdio[4] as Readable;
  let buffered = '';
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners: ((message: any) => void)[] = [];
  output.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined && pending.has(message.id)) {
        const { resolve, reject } = pending.get(message.id)!;
        pending.delete(message.id);
        if (message.error) reject(new Error(`${message.error.message}`));
        else resolve(message.result);
      } else {
        listeners.forEach((l) => l(message));
      }
    }
  });
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const visitResult: PageVisit = {
    console: [],
    errors: [],
    requests: [],
    screenshot: Buffer.alloc(0),
    values: [],
  };
  try {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    let loaded: () => void = () => {};
    const load = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Runtime.consoleAPICalled') {
        const text = m.params.args.map((a: any) => a.value ?? a.description ?? '').join(' ');
        visitResult.console.push({ type: m.params.type, text });
      }
      if (m.method === 'Runtime.exceptionThrown') visitResult.errors.push(m.params.exceptionDetails.text);
      if (m.method === 'Log.entryAdded' && m.params.entry.level === 'error')
        visitResult.errors.push(m.params.entry.text);
      if (m.method === 'Network.requestWillBeSent') visitResult.requests.push(m.params.request.url);
      if (m.method === 'Page.loadEventFired') loaded();
    });
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await send(`${domain}.enable`, {}, sessionId);
    await send('Page.navigate', { url: pathToFileURL(file).href }, sessionId);
    await load;
    const { result } = await send(
      'Runtime.evaluate',
      {
        expression: 'JSON.stringify([document.body.scrollWidth, document.body.scrollHeight])',
        returnByValue: true,
      },
      sessionId,
    );
    const [width, height] = JSON.parse(result.value) as [number, number];
    await send(
      'Emulation.setDeviceMetricsOverride',
      {
        width: Math.min(width + 40, 1600),
        height: Math.min(height + 40, 6000),
        deviceScaleFactor: 1,
        mobile: false,
      },
      sessionId,
    );
    const shot = await send('Page.captureScreenshot', { format: 'png' }, sessionId);
    visitResult.screenshot = Buffer.from(shot.data, 'base64');
    for (const expression of expressions) {
      const evaluated = await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId);
      visitResult.values.push(evaluated.result.value);
    }
    await send('Browser.close').catch(() => undefined);
  } finally {
    const exited = new Promise((done) => (child.exitCode !== null ? done(0) : child.once('exit', done)));
    child.kill('SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  }
  return visitResult;
}
