// The #deployments page: polls /api/state, renders the bot's Block Kit
// messages as Slack does, and sends what a person does (slash commands,
// messages, button clicks) and what the side panel does to the sandbox.
'use strict';

const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', rocket: '🚀', rotating_light: '🚨',
  hourglass_flowing_sand: '⏳', hourglass: '⌛', heavy_minus_sign: '➖', grey_question: '❔', question: '❓',
  rewind: '⏪', fast_forward: '⏩', pushpin: '📌', memo: '📝', ambulance: '🚑', ok_hand: '👌', stop_sign: '🛑',
  no_entry: '⛔', no_entry_sign: '🚫', eyes: '👀', construction: '🚧', calendar: '📅', lock: '🔒', unlock: '🔓',
  large_green_circle: '🟢', large_yellow_circle: '🟡', red_circle: '🔴', large_blue_circle: '🔵', white_circle: '⚪',
  green_circle: '🟢', yellow_circle: '🟡', tada: '🎉', fire: '🔥', bell: '🔔', mag: '🔍', package: '📦',
  arrows_counterclockwise: '🔄', repeat: '🔁', clock1: '🕐', stopwatch: '⏱️', chart_with_upwards_trend: '📈',
  bar_chart: '📊', information_source: 'ℹ️', bulb: '💡', link: '🔗', sparkles: '✨', wrench: '🔧', hammer_and_wrench: '🛠️',
  bug: '🐛', boom: '💥', checkered_flag: '🏁', raised_hand: '✋', thumbsup: '👍', '+1': '👍', speech_balloon: '💬',
  shield: '🛡️', test_tube: '🧪', arrow_right: '➡️', arrow_up: '⬆️', arrow_down: '⬇️', small_orange_diamond: '🔸',
  small_blue_diamond: '🔹', black_circle: '⚫', radio_button: '🔘', zzz: '💤', lock_with_ink_pen: '🔏', clipboard: '📋',
  satellite: '📡', traffic_light: '🚦', vertical_traffic_light: '🚦', leftwards_arrow_with_hook: '↩️',
  arrow_backward: '◀️', heavy_plus_sign: '➕', page_facing_up: '📄', scroll: '📜', pencil: '✏️', crossed_fingers: '🤞',
};
const AVATAR_COLORS = ['#e8912d', '#2bac76', '#1264a3', '#9b59b6', '#e01e5a', '#36c5f0'];

const ui = { user: null, people: [], botUser: '', raw: '', data: null, expanded: new Set(), buttons: [], first: true };
const $ = (id) => document.getElementById(id);

function escapeHtml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
// Slack escapes only & < > in message text.
function unescapeSlack(s) { return String(s).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'); }
function emoji(html) { return html.replace(/:([a-z0-9_+\-]+):/g, (m, name) => EMOJI[name] || m); }
function personName(id) {
  if (id === ui.botUser) return 'deploybot';
  const p = ui.people.find((x) => x.id === id);
  return p ? p.name : id;
}

function token(inner) {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? '' : inner.slice(bar + 1);
  if (target.startsWith('@')) return '<span class="mention">@' + escapeHtml(label || personName(target.slice(1))) + '</span>';
  if (target.startsWith('#')) return '<span class="mention">#' + escapeHtml(label || 'deployments') + '</span>';
  if (target.startsWith('!date^')) {
    // <!date^EPOCH^{date_short_pretty} {time}|fallback>: Slack shows each reader their own time zone.
    const when = new Date(Number(target.split('^')[1]) * 1000);
    const text = isNaN(when) ? unescapeSlack(label) : when.toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    return '<span class="date" title="' + escapeHtml(unescapeSlack(label)) + '">' + escapeHtml(text) + '</span>';
  }
  if (target.startsWith('!')) {
    const what = target.slice(1).split('^')[0];
    return '<span class="mention">@' + escapeHtml(label || what) + '</span>';
  }
  const url = unescapeSlack(target);
  if (/^(https?:\/\/|mailto:)/i.test(url)) {
    return '<a href="' + escapeHtml(url) + '" target="_blank" rel="noopener noreferrer">' +
      emoji(escapeHtml(unescapeSlack(label || target))) + '</a>';
  }
  return escapeHtml(unescapeSlack(inner));
}

function formatPlain(text) {
  // <…> sequences become placeholders so that *bold* may span them.
  const tokens = [];
  const withHoles = text.replace(/<([^<>\n]+)>/g, (m, inner) => { tokens.push(token(inner)); return '\u0000' + (tokens.length - 1) + '\u0000'; });
  let html = escapeHtml(unescapeSlack(withHoles));
  html = html.replace(/^&gt; ?(.*)$/gm, '<span class="quote">$1</span>');
  html = html.replace(/(^|[^\w*])\*(\S(?:[^*\n]*?\S)?)\*(?=$|[^\w*])/g, '$1<b>$2</b>');
  html = html.replace(/(^|[\s(\u0000])_(\S(?:[^_\n]*?\S)?)_(?=$|[\s).,:;!?\u0000])/g, '$1<i>$2</i>');
  html = html.replace(/(^|[\s(])~(\S(?:[^~\n]*?\S)?)~(?=$|[\s).,:;!?])/g, '$1<s>$2</s>');
  html = emoji(html);
  return html.replace(/\u0000(\d+)\u0000/g, (m, i) => tokens[Number(i)]);
}

function mrkdwn(text) {
  const pre = String(text || '').split('```');
  return pre.map((part, i) => {
    if (i % 2 === 1 && i < pre.length - 1) return '<pre>' + escapeHtml(unescapeSlack(part.replace(/^\n/, ''))) + '</pre>';
    const code = part.split('`');
    return code.map((seg, j) => (j % 2 === 1 && j < code.length - 1)
      ? '<code>' + escapeHtml(unescapeSlack(seg)) + '</code>' : formatPlain(seg)).join('');
  }).join('');
}

function textObject(t) {
  if (!t) return '';
  if (t.type === 'plain_text') return emoji(escapeHtml(t.text || ''));
  return mrkdwn(t.text || '');
}

function buttonHtml(el, ctx, blockId) {
  if (el.url) {
    return '<a class="sbtn" href="' + escapeHtml(el.url) + '" target="_blank" rel="noopener noreferrer">' +
      textObject(el.text) + '</a>';
  }
  const id = ui.buttons.length;
  ui.buttons.push({ ts: ctx.ts, action_id: el.action_id || '', value: el.value || '', block_id: blockId || '',
                    confirm: el.confirm || null });
  const style = el.style === 'primary' || el.style === 'danger' ? ' ' + el.style : '';
  return '<button class="sbtn' + style + '" data-button="' + id + '">' + textObject(el.text) + '</button>';
}

function elementHtml(el, ctx, blockId) {
  if (el.type === 'button') return buttonHtml(el, ctx, blockId);
  if (el.type === 'image') return '<span title="' + escapeHtml(el.alt_text || '') + '">🖼️</span>';
  if (el.type === 'mrkdwn' || el.type === 'plain_text') return '<span class="text">' + textObject(el) + '</span>';
  return '<span class="b-unknown">[' + escapeHtml(el.type || 'element') + ']</span>';
}

function blocksHtml(blocks, ctx) {
  return blocks.map((b) => {
    switch (b.type) {
      case 'header': return '<div class="b-header">' + textObject(b.text) + '</div>';
      case 'divider': return '<hr class="b-divider">';
      case 'section': {
        let main = b.text ? '<div class="text">' + textObject(b.text) + '</div>' : '';
        if (Array.isArray(b.fields) && b.fields.length) {
          main += '<div class="b-fields">' + b.fields.map((f) => '<div class="text">' + textObject(f) + '</div>').join('') + '</div>';
        }
        const acc = b.accessory ? '<div class="b-accessory">' + elementHtml(b.accessory, ctx, b.block_id) + '</div>' : '';
        return '<div class="b-section"><div class="b-section-main">' + main + '</div>' + acc + '</div>';
      }
      case 'context':
        return '<div class="b-context">' + (b.elements || []).map((e) => elementHtml(e, ctx, b.block_id)).join('') + '</div>';
      case 'actions':
        return '<div class="b-actions">' + (b.elements || []).map((e) => elementHtml(e, ctx, b.block_id)).join('') + '</div>';
      case 'image': return '<div class="b-unknown">🖼️ ' + escapeHtml(b.alt_text || 'image') + '</div>';
      default: return '<div class="b-unknown">[' + escapeHtml(b.type || 'block') + ']</div>';
    }
  }).join('');
}

function avatarHtml(userId, isBot) {
  if (isBot) return '<div class="avatar" style="background:#1d1c1d">🚀</div>';
  const i = Math.max(0, ui.people.findIndex((p) => p.id === userId));
  const name = personName(userId);
  return '<div class="avatar" style="background:' + AVATAR_COLORS[i % AVATAR_COLORS.length] + '">' +
    escapeHtml(name.slice(0, 1).toUpperCase()) + '</div>';
}

function tsKey(ts) { const [a, b] = String(ts).split('.'); return Number(a) * 1e6 + Number(b || 0); }

function messageHtml(m, opts) {
  const isBot = m.ephemeral || m.bot;
  const who = m.ephemeral ? 'deploybot' : personName(m.user);
  const ctx = { ts: m.ts };
  const body = (m.blocks && m.blocks.length) ? blocksHtml(m.blocks, ctx) : '<div class="text">' + mrkdwn(m.text) + '</div>';
  let html = '<div class="msg' + (m.ephemeral ? ' ephemeral' : '') + '" data-ts="' + escapeHtml(m.ts) + '">' +
    avatarHtml(m.user, isBot) + '<div class="msg-body">';
  if (m.ephemeral) html += '<div class="only-you">👁 Only visible to you</div>';
  if (opts.broadcast) html += '<div class="broadcast-note">replied to a thread</div>';
  html += '<div class="msg-head"><span class="msg-name">' + escapeHtml(who) + '</span>' +
    (isBot ? '<span class="badge">APP</span>' : '') + '<span class="msg-time">' + escapeHtml(m.time || '') + '</span></div>';
  html += body;
  const replies = opts.replies || [];
  if (replies.length) {
    const open = ui.expanded.has(m.ts);
    html += '<button class="replies" data-thread="' + escapeHtml(m.ts) + '">' +
      (open ? 'Hide ' : '') + replies.length + (replies.length === 1 ? ' reply' : ' replies') + '</button>';
    if (open) html += '<div class="thread">' + replies.map((r) => messageHtml(r, {})).join('') + '</div>';
  }
  return html + '</div></div>';
}

function renderMessages() {
  const d = ui.data;
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  ui.buttons = [];
  const all = d.messages.map((m) => Object.assign({}, m, { ephemeral: false }))
    .concat(d.ephemerals.map((e) => Object.assign({}, e, { ephemeral: true, user: d.bot_user })));
  const replies = new Map();
  const top = [];
  for (const m of all) {
    if (m.thread_ts && m.thread_ts !== m.ts) {
      if (!replies.has(m.thread_ts)) replies.set(m.thread_ts, []);
      replies.get(m.thread_ts).push(m);
      if (m.broadcast) top.push(Object.assign({}, m, { isBroadcast: true }));
    } else {
      top.push(m);
    }
  }
  for (const r of replies.values()) r.sort((a, b) => tsKey(a.ts) - tsKey(b.ts));
  top.sort((a, b) => tsKey(a.ts) - tsKey(b.ts));
  if (!top.length) {
    list.innerHTML = '<div class="empty">This is the very beginning of <b>#deployments</b>.<br>' +
      'Type <code>/deploy prod</code> below as Rina, the deployer.</div>';
    return;
  }
  list.innerHTML = top.map((m) => messageHtml(m, m.isBroadcast ? { broadcast: true } : { replies: replies.get(m.ts) || [] })).join('');
  if (atBottom || ui.first) list.scrollTop = list.scrollHeight;
  ui.first = false;
}

function renderPeople() {
  const box = $('people');
  box.innerHTML = ui.people.map((p, i) =>
    '<button class="person' + (p.id === ui.user ? ' active' : '') + '" role="radio" aria-checked="' + (p.id === ui.user) +
    '" data-user="' + escapeHtml(p.id) + '"><span class="avatar" style="background:' + AVATAR_COLORS[i % AVATAR_COLORS.length] + '">' +
    escapeHtml(p.name.slice(0, 1)) + '</span><span>' + escapeHtml(p.name) + '<span class="role">' + escapeHtml(p.role) +
    '</span></span></button>').join('');
  const me = ui.people.find((p) => p.id === ui.user);
  $('composer-input').placeholder = me ? 'Message #deployments as ' + me.name + ' — try /deploy prod' : 'Message #deployments';
}

function renderWorld() {
  const w = ui.data.world;
  $('clock').textContent = w.clock;
  const win = $('window');
  win.textContent = 'Deploy window ' + w.window_text;
  win.className = 'pill ' + (w.window_open ? 'open' : 'closed');
  $('speed').textContent = w.watch_fast ? '⏩ Watch running: the clock runs at ' + w.speed + '× (an hour in a minute)'
                                        : 'The clock runs in real time; it runs at 60× while a deploy is watched.';
  $('prs').innerHTML = w.prs.map((p) => '<div class="pr"><span class="num">#' + p.number + '</span><span class="title" title="' +
    escapeHtml(p.title) + '">' + escapeHtml(p.title) + '</span><code>' + escapeHtml(p.sha) + '</code><span class="ci ' +
    escapeHtml(p.ci) + '">CI ' + escapeHtml(p.ci) + '</span></div>').join('');
  const dep = (label, x) => '<div><b>' + label + '</b> <code>' + escapeHtml(x.id || '—') + '</code> ' +
    escapeHtml(x.sha || '') + ' ' + escapeHtml(x.message || '') + '</div>';
  $('vercel').innerHTML = dep('Production', w.production) + dep('Staging', w.staging) +
    w.building.map((b) => '<div><b>Building</b> <code>' + escapeHtml(b.id) + '</code> ' + escapeHtml(b.state) + '</div>').join('');
  $('promote-armed').textContent = w.promote_fail_armed ? '⚠️ Armed: the next promote will fail.' : '';
  $('spike').textContent = w.spike ? 'Last spike: ' + w.spike : '';
}

function render() {
  const d = ui.data;
  ui.people = d.people;
  ui.botUser = d.bot_user;
  renderPeople();
  renderMessages();
  renderWorld();
  const conn = $('conn');
  conn.textContent = d.connected ? 'deploybot connected (Socket Mode)' : 'deploybot connecting…';
  conn.className = 'conn' + (d.connected ? ' up' : '');
}

async function poll() {
  try {
    const r = await fetch('/api/state?user=' + encodeURIComponent(ui.user || ''), { cache: 'no-store' });
    const raw = await r.text();
    if (raw !== ui.raw) {
      ui.raw = raw;
      ui.data = JSON.parse(raw);
      if (!ui.user && ui.data.people.length) {
        ui.user = ui.data.people[0].id;
        ui.raw = '';
        setTimeout(poll, 0);
        return;
      }
      render();
    }
  } catch (e) {
    $('conn').textContent = 'sandbox not answering';
    $('conn').className = 'conn';
  }
  setTimeout(poll, 500);
}

function toast(text, error) {
  const t = document.createElement('div');
  t.className = 'toast' + (error ? ' error' : '');
  t.textContent = text;
  $('toasts').appendChild(t);
  setTimeout(() => t.remove(), 4000);
}

async function post(path, body) {
  try {
    const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) });
    const j = await r.json();
    if (!j.ok) toast(j.error || 'failed', true);
    return j;
  } catch (e) {
    toast('the sandbox did not answer', true);
    return { ok: false };
  }
}

function click(b) {
  post('/api/click', { user: ui.user, ts: b.ts, action_id: b.action_id, value: b.value, block_id: b.block_id });
}

function showConfirm(b) {
  const c = b.confirm;
  $('modal-title').innerHTML = textObject(c.title) || 'Are you sure?';
  $('modal-text').innerHTML = textObject(c.text);
  const ok = $('modal-confirm');
  ok.innerHTML = textObject(c.confirm) || 'Confirm';
  ok.className = 'sbtn ' + (c.style === 'danger' ? 'danger' : 'primary');
  $('modal-deny').innerHTML = textObject(c.deny) || 'Cancel';
  $('modal').classList.remove('hidden');
  ok.onclick = () => { $('modal').classList.add('hidden'); click(b); };
  $('modal-deny').onclick = () => $('modal').classList.add('hidden');
}

document.addEventListener('click', (ev) => {
  const btn = ev.target.closest('[data-button]');
  if (btn) {
    const b = ui.buttons[Number(btn.dataset.button)];
    if (b) (b.confirm ? showConfirm(b) : click(b));
    return;
  }
  const thread = ev.target.closest('[data-thread]');
  if (thread) {
    const ts = thread.dataset.thread;
    if (ui.expanded.has(ts)) ui.expanded.delete(ts); else ui.expanded.add(ts);
    renderMessages();
    return;
  }
  const person = ev.target.closest('[data-user]');
  if (person) {
    ui.user = person.dataset.user;
    ui.raw = '';
    renderPeople();
    poll.now();
    return;
  }
  const world = ev.target.closest('[data-world]');
  if (world) {
    post('/api/world/' + world.dataset.world).then((j) => { if (j.ok) toast(j.message); });
    return;
  }
  const hint = ev.target.closest('[data-fill]');
  if (hint) {
    const input = $('composer-input');
    input.value = hint.dataset.fill;
    input.focus();
  }
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') $('modal').classList.add('hidden');
});

$('composer').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('composer-input');
  const text = input.value.trim();
  if (!text) return;
  let j;
  if (text.startsWith('/')) {
    const space = text.indexOf(' ');
    const command = space < 0 ? text : text.slice(0, space);
    const rest = space < 0 ? '' : text.slice(space + 1).trim();
    j = await post('/api/command', { user: ui.user, command, text: rest });
  } else {
    j = await post('/api/message', { user: ui.user, text });
  }
  if (j.ok) input.value = '';
});

poll.now = () => { fetch('/api/state?user=' + encodeURIComponent(ui.user || ''), { cache: 'no-store' })
  .then((r) => r.text()).then((raw) => { if (raw !== ui.raw) { ui.raw = raw; ui.data = JSON.parse(raw); render(); } })
  .catch(() => {}); };
poll();
