// The floor: a bare `ws` client that opens a Socket Mode connection and only
// acks (no payload). Same fake Slack, same environment as app.js.
const https = require('https');
const WebSocket = require('ws');

const apiUrl = process.env.SLACK_API_URL.replace(/\/?$/, '/');
const req = https.request(apiUrl + 'apps.connections.open', {
  method: 'POST',
  headers: { Authorization: `Bearer ${process.env.SLACK_APP_TOKEN}`, 'Content-Type': 'application/x-www-form-urlencoded' },
}, (res) => {
  let body = '';
  res.on('data', (d) => { body += d; });
  res.on('end', () => {
    const ws = new WebSocket(JSON.parse(body).url);
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.envelope_id) ws.send(JSON.stringify({ envelope_id: m.envelope_id }));
    });
    process.on('SIGTERM', () => { ws.close(1000); process.exit(0); });
  });
});
req.end();
