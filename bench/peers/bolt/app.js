// Bolt for JavaScript in Socket Mode answering `/deploy help` from its ack
// (the same answer deploybot gives), against the fake Slack in
// SLACK_API_URL. NODE_EXTRA_CA_CERTS makes Node trust the fake's CA.
const { App, LogLevel, SocketModeReceiver } = require('@slack/bolt');

const apiUrl = process.env.SLACK_API_URL.replace(/\/?$/, '/');
const receiver = new SocketModeReceiver({
  appToken: process.env.SLACK_APP_TOKEN,
  logLevel: LogLevel.ERROR,
  installerOptions: { clientOptions: { slackApiUrl: apiUrl } },
});
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl: apiUrl },
});

const help = [
  ['/deploy prod', 'open the production checklist for what is on staging'],
  ['/deploy status', 'production, staging, the active request, lock and next window'],
  ['/deploy history [n]', 'the last n production deploys'],
  ['/deploy cancel', 'cancel the active request (requester or admin)'],
  ['/deploy rollback [reason]', 'show what production goes back to, then roll back with one click'],
  ['/deploy hotfix <branch|PR> <reason>', 'emergency lane straight to production'],
  ['/deploy lock <reason>', 'freeze production deploys (admins)'],
  ['/deploy unlock', 'lift the freeze (admins)'],
  ['/deploy override <reason>', 'let the active request deploy outside the window'],
  ['/deploy stats [days]', 'deploy frequency, lead time, change failure rate and time to restore'],
  ['/deploy help', 'this list'],
];

app.command('/deploy', async ({ command, ack }) => {
  const lines = help.map(([usage, what]) => `• \`${usage}\` — ${what}\n`).join('');
  await ack({
    response_type: 'ephemeral',
    text: 'deploybot commands: /deploy prod, status, history, cancel, rollback, hotfix, lock, unlock, override, stats, help',
    blocks: [
      { type: 'section', block_id: 'help.intro', text: { type: 'mrkdwn', text: '*deploybot* runs our deployment process from this channel.' } },
      { type: 'section', block_id: 'help.commands', text: { type: 'mrkdwn', text: lines } },
    ],
  });
});

(async () => {
  await app.start();
})();
process.on('SIGTERM', async () => {
  await app.stop();
  process.exit(0);
});
