// The sandbox in a real browser (issue #12): starts `deploybot sandbox --port 0`
// (a free port chosen by the system, read back from its first line), opens the
// page in Debian's chromium driven headless by playwright-core, and goes
// through a deploy as the team would: /deploy prod as the deployer, sign-off
// as the QA lead, the checklist, Deploy, live, an error spike, Roll back —
// asserting on what the page shows. Every wait is on page content with a
// deadline. Screenshots go to $DEPLOYBOT_SCREENSHOTS (docs/ refreshes the
// README's) or the current directory.
//
// usage: node sandbox_test.mjs /path/to/deploybot
// Exit 77 (skipped) when chromium or playwright-core is missing, unless
// DEPLOYBOT_BROWSER_REQUIRED=1 (scripts/test.sh) makes that a failure.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const binary = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = process.env.DEPLOYBOT_SCREENSHOTS || '.';
const required = process.env.DEPLOYBOT_BROWSER_REQUIRED === '1';

function skip(why) {
  console.log(`browser test: ${why}`);
  process.exit(required ? 1 : 77);
}

if (!binary || !existsSync(binary)) {
  console.error('usage: node sandbox_test.mjs /path/to/deploybot');
  process.exit(2);
}
if (!existsSync(chromiumPath)) skip(`${chromiumPath} not found (apt-get install chromium)`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  skip('playwright-core is not installed (npm ci in tests/browser)');
}

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
    console.log(`  ok   ${what}`);
  } else {
    failed++;
    console.log(`  FAIL ${what}`);
  }
}

// The sandbox, and the URL it prints once the page answers.
const sandbox = spawn(binary, ['sandbox', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let sandboxLog = '';
sandbox.stderr.on('data', (d) => { sandboxLog += d; });
const exited = new Promise((resolve) => sandbox.on('exit', (code, signal) => resolve({ code, signal })));
const url = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error('the sandbox printed no URL within 60 s')), 60000);
  sandbox.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
    if (m) {
      clearTimeout(timer);
      resolve(m[0]);
    }
  });
  sandbox.on('exit', () => reject(new Error('the sandbox exited before printing its URL')));
});
console.log(`sandbox at ${url}`);

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
page.setDefaultTimeout(30000);
mkdirSync(shots, { recursive: true });
// The channel scrolled to its newest message, as a person following it sees it.
async function shot(name) {
  await page.evaluate(() => { const m = document.getElementById('messages'); m.scrollTop = m.scrollHeight; });
  await page.screenshot({ path: path.join(shots, name) });
}

const message = (text) => page.locator('#messages > .msg', { hasText: text });
const button = (name) => page.getByRole('button', { name, exact: true });
async function as(name) {
  await page.locator('#people .person', { hasText: name }).click();
  await page.locator('#people .person.active', { hasText: name }).waitFor();
}
async function type(text) {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

try {
  await page.goto(url);
  await page.locator('#conn.up').waitFor({ timeout: 60000 });
  check(true, 'the page loads and shows deploybot connected over Socket Mode');
  check(await page.locator('#people .person.active', { hasText: 'Rina' }).count() === 1, 'Rina (deployer) is picked first');

  // Someone without a deploy role gets a refusal only they can see.
  await as('Andi');
  await type('/deploy prod');
  await page.locator('#messages .msg.ephemeral', { hasText: 'Only visible to you' }).first().waitFor();
  check(true, "Andi's /deploy prod is refused with an ephemeral message");
  await as('Rina');
  await page.locator('#messages .msg.ephemeral').first().waitFor({ state: 'detached' });
  check(await page.locator('#messages .msg.ephemeral').count() === 0, "Andi's ephemeral is not shown to Rina");

  // The deployer asks; the checklist appears with the QA step open.
  await type('/deploy prod');
  const checklist = message('Production deploy #1');
  await checklist.first().waitFor();
  await button('QA sign-off').waitFor();
  check(await checklist.first().locator('.sbtn.danger', { hasText: 'Cancel request' }).count() === 1,
    'the checklist has a danger-styled Cancel request button');

  // Only a QA lead signs off.
  await as('Sari');
  await button('QA sign-off').click();
  await page.locator('#modal:not(.hidden)').waitFor();
  check((await page.locator('#modal-title').textContent()).includes('Sign off staging?'), 'QA sign-off asks for confirmation');
  await page.locator('#modal-confirm').click();
  await checklist.first().getByText('QA signed off', { exact: false }).first().waitFor();
  check(true, 'Sari (QA lead) signs off and the checklist updates in place');

  await as('Rina');
  await button('No flags needed').click();
  await checklist.first().getByText('No feature flags needed', { exact: false }).first().waitFor();
  await button('Confirm rollback plan').click();
  await button('Deploy to production').waitFor();
  check(await page.locator('#messages .sbtn.primary', { hasText: 'Deploy to production' }).count() === 1,
    'the checklist is complete: a primary Deploy to production button');
  await shot('sandbox-checklist.png');

  // Deploy, through the confirm dialog.
  await button('Deploy to production').click();
  await page.locator('#modal:not(.hidden)').waitFor();
  check((await page.locator('#modal-title').textContent()).includes('Deploy to production?'), 'Deploy asks for confirmation');
  await page.locator('#modal-confirm').click();
  await message('is live').first().waitFor({ timeout: 60000 });
  check(true, 'production deploy #1 is announced live');
  check(await message('replied to a thread').filter({ hasText: 'is live' }).count() >= 1,
    'the live post is a thread reply shown in the channel too (reply_broadcast)');
  await page.locator('#speed', { hasText: 'Watch running' }).waitFor();
  check(true, 'the watch runs the clock fast');
  await shot('sandbox-live.png');

  // An error spike in Sentry: the watch alerts, and production is rolled back by button.
  await page.locator('[data-world="spike"]').click();
  const alert = message('Error spike after production deploy #1');
  await alert.first().waitFor({ timeout: 90000 });
  check(await alert.first().locator('.sbtn.danger').count() >= 1, 'the spike alert has a danger-styled Roll back button');
  await shot('sandbox-spike.png');
  await alert.first().locator('.sbtn.danger').first().click();
  await page.locator('#modal:not(.hidden)').waitFor();
  await page.locator('#modal-confirm').click();
  await message('Production rolled back').first().waitFor({ timeout: 60000 });
  check(true, 'production is rolled back');
  await page.locator('#vercel', { hasText: 'dpl_Prod0002' }).waitFor();
  check(true, 'the panel shows Vercel production serving the previous build again');
  await shot('sandbox-rollback.png');

  // The side panel: a merged PR becomes a staging build the bot announces; the clock jumps to the next window.
  await page.locator('[data-world="merge"]').click();
  await page.locator('#messages > .msg', { hasText: 'Staging is' }).filter({ hasText: '#413' }).first().waitFor({ timeout: 60000 });
  check(true, 'a PR merged from the panel is announced as a new staging build');
  const before = (await page.locator('#clock').textContent()).slice(0, 10);   // "Tue 1 Dec "
  await page.locator('[data-world="next_window"]').click();
  await page.waitForFunction((day) => !document.getElementById('clock').textContent.startsWith(day), before);
  check(await page.locator('#window.open').count() === 1, 'the clock moves to the next deploy window, which is open');
} catch (e) {
  check(false, `${e.message.split('\n')[0]}`);
  await shot('sandbox-failure.png').catch(() => {});
}

await browser.close();
sandbox.kill('SIGTERM');
const exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r({ code: 'timeout' }), 10000))]);
check(exit.code === 0, `the sandbox exits 0 on SIGTERM (got ${exit.code ?? exit.signal})`);
if (failed) console.log('--- sandbox log (last 4000 chars) ---\n' + sandboxLog.slice(-4000));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
