#!/usr/bin/env node
/*
 * Bot API emulator for the end-to-end tests.
 *
 * telegram-test-api 4.2.1 does the storing and delivering of updates; this
 * wrapper puts routes in front of it where it falls short of what
 * python-telegram-bot 22 needs (getMe without is_bot, dates in milliseconds,
 * callback queries without chat_instance, edits returning null, no
 * setMyCommands/sendPhoto/sendDocument/sendLocation/getFile), plus a few
 * checks real Telegram makes (message length, callback data size, editing
 * without reply_markup removes the keyboard, a query answered once).
 * Everything else falls through to the package's own routes.
 *
 * Usage: node server.js [--port N] [--host H]; prints "listening <port>".
 */
'use strict';

const crypto = require('crypto');
const http = require('http');
const express = require('express');
const multer = require('multer');
const TelegramServer = require('telegram-test-api');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const host = args.host || '127.0.0.1';
const port = Number(args.port || 0);
const BOT_USERNAME = args['bot-username'] || 'CivicTestBot';

const emulator = new TelegramServer({ host, port, storeTimeout: 24 * 3600 });
const app = express();
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 20 * 1024 * 1024 } });
app.use(express.json({ limit: '25mb' }));
app.use(express.urlencoded({ extended: true, limit: '25mb' }));
app.use(upload.any());

// --- state the package does not keep --------------------------------------------------
const files = new Map(); // file_id -> {buffer, mime_type, file_name, file_unique_id}
const callbackAnswers = []; // {token, callback_query_id, text, show_alert}
const commandMenus = new Map(); // token -> Map(scope|language -> commands)
const blockedChats = new Set(); // "token|chat_id" that answer 403

// --- helpers -------------------------------------------------------------------------
const parseJson = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
const seconds = (millis) => Math.floor(millis / 1000);
const botId = (token) => Number(String(token).split(':')[0]) || 666;

function botUser(token) {
  return { id: botId(token), is_bot: true, first_name: 'Civic Test Bot', username: BOT_USERNAME };
}

function fail(res, code, description) {
  res.status(code).json({ ok: false, error_code: code, description });
}

function chatFor(chatId) {
  const id = Number(chatId);
  return id < 0 ? { id, type: 'supergroup', title: `Group ${id}` } : { id, type: 'private', first_name: 'User' };
}

function storeFile({ buffer, mime_type, file_name }) {
  const file_id = `F${crypto.randomBytes(12).toString('hex')}`;
  const entry = {
    buffer,
    mime_type,
    file_name,
    file_unique_id: crypto.createHash('sha1').update(buffer).digest('hex').slice(0, 16),
  };
  files.set(file_id, entry);
  return { file_id, file_unique_id: entry.file_unique_id, file_size: buffer.length };
}

function uploadedOrReferenced(req, field) {
  const uploaded = (req.files || []).find((f) => f.fieldname === field);
  if (uploaded) {
    return storeFile({ buffer: uploaded.buffer, mime_type: uploaded.mimetype, file_name: uploaded.originalname });
  }
  const reference = req.body[field];
  if (typeof reference === 'string' && files.has(reference)) {
    const entry = files.get(reference);
    return { file_id: reference, file_unique_id: entry.file_unique_id, file_size: entry.buffer.length };
  }
  if (typeof reference === 'string' && reference.startsWith('attach://')) {
    return uploadedOrReferenced({ files: req.files, body: {} }, reference.slice('attach://'.length));
  }
  return null;
}

// The package keeps the raw request body of each bot message; this is what the
// Bot API would have returned for it.
function asTelegramMessage(stored) {
  const m = stored.message;
  const message = {
    message_id: stored.messageId,
    date: seconds(stored.time),
    chat: chatFor(m.chat_id),
    from: botUser(stored.botToken),
  };
  for (const key of ['text', 'caption', 'photo', 'document', 'location']) {
    if (m[key] !== undefined) message[key] = m[key];
  }
  if (m.reply_markup && m.reply_markup.inline_keyboard) message.reply_markup = m.reply_markup;
  if (stored.editDate) message.edit_date = stored.editDate;
  return message;
}

function findBotMessage(token, chatId, messageId) {
  return emulator.storage.botMessages.find(
    (u) => u.botToken === token && String(u.message.chat_id) === String(chatId)
      && String(u.messageId) === String(messageId),
  );
}

function checkMarkup(markup) {
  if (!markup || !markup.inline_keyboard) return null;
  for (const row of markup.inline_keyboard) {
    for (const b of row) {
      if (b.callback_data !== undefined && Buffer.byteLength(String(b.callback_data)) > 64) {
        return 'Bad Request: BUTTON_DATA_INVALID';
      }
      if (!b.text) return 'Bad Request: button text is empty';
    }
  }
  return null;
}

function botRoute(method, handler) {
  app.all(`/bot:token/${method}`, (req, res) => {
    try {
      handler(req, res, req.params.token);
    } catch (error) {
      fail(res, 400, `Bad Request: ${error.message}`);
    }
  });
}

// Adds a bot message the way the package does, after Telegram's own checks.
function sendBotMessage(req, res, token, extra) {
  const body = { ...req.body, ...extra };
  if (blockedChats.has(`${token}|${body.chat_id}`)) {
    fail(res, 403, 'Forbidden: bot was blocked by the user');
    return;
  }
  if (body.reply_markup) body.reply_markup = parseJson(body.reply_markup);
  const markupError = checkMarkup(body.reply_markup);
  if (markupError) {
    fail(res, 400, markupError);
    return;
  }
  const sent = emulator.addBotMessage(body, token);
  res.json({ ok: true, result: asTelegramMessage(findBotMessage(token, body.chat_id, sent.message_id)) });
}

// --- bot API routes --------------------------------------------------------------------
botRoute('getMe', (req, res, token) => {
  res.json({
    ok: true,
    result: {
      ...botUser(token),
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    },
  });
});

botRoute('getUpdates', (req, res, token) => {
  const reply = () => {
    const updates = emulator.getUpdates(token).map((update) => {
      if (update.callback_query) {
        const chat = update.callback_query.message && update.callback_query.message.chat;
        update.callback_query.chat_instance = String(chat ? chat.id : update.callback_query.from.id);
      } else if (update.message) {
        delete update.message.botToken;
      }
      return update;
    });
    return updates;
  };
  const ready = reply();
  const timeout = Math.min(Number(req.body.timeout || req.query.timeout || 0), 5);
  if (ready.length || !timeout) {
    res.json({ ok: true, result: ready });
    return;
  }
  // Long polling: answer as soon as the test user does something.
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    emulator.off('AddedUserMessage', finish);
    emulator.off('AddedUserCallbackQuery', finish);
    clearTimeout(timer);
    if (!res.writableEnded) res.json({ ok: true, result: reply() });
  };
  const timer = setTimeout(finish, timeout * 1000);
  emulator.on('AddedUserMessage', finish);
  emulator.on('AddedUserCallbackQuery', finish);
  // (req's 'close' fires as soon as the body is read; res's when the client goes.)
  res.on('close', () => {
    if (!done) {
      done = true;
      emulator.off('AddedUserMessage', finish);
      emulator.off('AddedUserCallbackQuery', finish);
      clearTimeout(timer);
    }
  });
});

botRoute('sendMessage', (req, res, token) => {
  const text = req.body.text || '';
  if (!text.trim()) return fail(res, 400, 'Bad Request: message text is empty');
  if (text.length > 4096) return fail(res, 400, 'Bad Request: message is too long');
  return sendBotMessage(req, res, token, {});
});

botRoute('sendPhoto', (req, res, token) => {
  const file = uploadedOrReferenced(req, 'photo');
  if (!file) return fail(res, 400, 'Bad Request: there is no photo in the request');
  const photo = [{ ...file, width: 800, height: 600 }];
  return sendBotMessage(req, res, token, { photo });
});

botRoute('sendDocument', (req, res, token) => {
  const file = uploadedOrReferenced(req, 'document');
  if (!file) return fail(res, 400, 'Bad Request: there is no document in the request');
  const entry = files.get(file.file_id);
  const document = { ...file, file_name: entry.file_name, mime_type: entry.mime_type };
  return sendBotMessage(req, res, token, { document });
});

botRoute('sendLocation', (req, res, token) => {
  const latitude = Number(req.body.latitude);
  const longitude = Number(req.body.longitude);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) {
    return fail(res, 400, 'Bad Request: wrong latitude or longitude');
  }
  return sendBotMessage(req, res, token, { location: { latitude, longitude } });
});

function editMessage(req, res, token, change) {
  if (req.body.inline_message_id) return res.json({ ok: true, result: true });
  const stored = findBotMessage(token, req.body.chat_id, req.body.message_id);
  if (!stored) return fail(res, 400, 'Bad Request: message to edit not found');
  const markup = req.body.reply_markup ? parseJson(req.body.reply_markup) : undefined;
  const markupError = checkMarkup(markup);
  if (markupError) return fail(res, 400, markupError);
  const before = JSON.stringify([stored.message.text, stored.message.reply_markup]);
  const next = { ...stored.message, ...change };
  // Real Telegram drops the keyboard when an edit does not repeat it.
  if (markup) next.reply_markup = markup;
  else delete next.reply_markup;
  if (JSON.stringify([next.text, next.reply_markup]) === before) {
    return fail(res, 400, 'Bad Request: message is not modified: specified new message content '
      + 'and reply markup are exactly the same as a current content and reply markup of the message');
  }
  stored.message = next;
  stored.editDate = seconds(Date.now());
  return res.json({ ok: true, result: asTelegramMessage(stored) });
}

botRoute('editMessageText', (req, res, token) => {
  const text = req.body.text || '';
  if (!text.trim()) return fail(res, 400, 'Bad Request: message text is empty');
  if (text.length > 4096) return fail(res, 400, 'Bad Request: MESSAGE_TOO_LONG');
  return editMessage(req, res, token, { text });
});

botRoute('editMessageReplyMarkup', (req, res, token) => editMessage(req, res, token, {}));

botRoute('answerCallbackQuery', (req, res, token) => {
  const id = String(req.body.callback_query_id);
  if (callbackAnswers.some((a) => a.token === token && a.callback_query_id === id)) {
    return fail(res, 400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
  }
  const text = req.body.text || '';
  if (text.length > 200) return fail(res, 400, 'Bad Request: MESSAGE_TOO_LONG');
  callbackAnswers.push({
    token,
    callback_query_id: id,
    text,
    show_alert: String(req.body.show_alert) === 'true',
  });
  return res.json({ ok: true, result: true });
});

function menuKey(req) {
  const scope = req.body.scope ? parseJson(req.body.scope) : { type: 'default' };
  return JSON.stringify([scope, req.body.language_code || '']);
}

function menusOf(token) {
  if (!commandMenus.has(token)) commandMenus.set(token, new Map());
  return commandMenus.get(token);
}

botRoute('setMyCommands', (req, res, token) => {
  const commands = parseJson(req.body.commands) || [];
  for (const c of commands) {
    if (!/^[a-z0-9_]{1,32}$/.test(c.command)) return fail(res, 400, 'Bad Request: BOT_COMMAND_INVALID');
    if (!c.description || c.description.length > 256) {
      return fail(res, 400, 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
    }
  }
  menusOf(token).set(menuKey(req), commands);
  return res.json({ ok: true, result: true });
});

botRoute('deleteMyCommands', (req, res, token) => {
  menusOf(token).delete(menuKey(req));
  res.json({ ok: true, result: true });
});

botRoute('getMyCommands', (req, res, token) => {
  res.json({ ok: true, result: menusOf(token).get(menuKey(req)) || [] });
});

botRoute('getFile', (req, res) => {
  const entry = files.get(String(req.body.file_id));
  if (!entry) return fail(res, 400, 'Bad Request: invalid file_id');
  return res.json({
    ok: true,
    result: {
      file_id: String(req.body.file_id),
      file_unique_id: entry.file_unique_id,
      file_size: entry.buffer.length,
      file_path: `files/${req.body.file_id}`,
    },
  });
});

app.get('/file/bot:token/files/:fileId', (req, res) => {
  const entry = files.get(req.params.fileId);
  if (!entry) return res.status(404).end();
  res.type(entry.mime_type || 'application/octet-stream');
  return res.send(entry.buffer);
});

// --- client (test user) routes -----------------------------------------------------------
// Each returns the update id it created, so a test can wait for the bot to process it.
app.post('/client/send', (req, res) => {
  const { token, message } = req.body;
  const updateId = emulator.updateId;
  const messageId = emulator.messageId;
  emulator.addUserMessage({ ...message, botToken: token });
  res.json({ ok: true, result: { update_id: updateId, message_id: messageId } });
});

app.post('/client/callback', (req, res) => {
  const { token, from, chat_id: chatId, message_id: messageId, data } = req.body;
  const stored = findBotMessage(token, chatId, messageId);
  const message = stored ? asTelegramMessage(stored) : { message_id: Number(messageId), date: seconds(Date.now()), chat: chatFor(chatId) };
  const updateId = emulator.updateId;
  const callbackId = emulator.callbackId;
  emulator.addUserCallback({ botToken: token, from, message, data });
  res.json({ ok: true, result: { update_id: updateId, callback_query_id: String(callbackId) } });
});

app.post('/client/messages', (req, res) => {
  const { token, chat_id: chatId } = req.body;
  const result = emulator.storage.botMessages
    .filter((u) => u.botToken === token && String(u.message.chat_id) === String(chatId))
    .sort((a, b) => a.messageId - b.messageId)
    .map((u) => ({ ...asTelegramMessage(u), reply_markup: u.message.reply_markup || null }));
  res.json({ ok: true, result });
});

// Every message the bot sent with this token, with when it arrived (milliseconds):
// what a test needs to check the overall pace of a broadcast.
app.post('/client/sent', (req, res) => {
  const result = emulator.storage.botMessages
    .filter((u) => u.botToken === req.body.token)
    .map((u) => ({ chat_id: Number(u.message.chat_id), message_id: u.messageId, time: u.time }));
  res.json({ ok: true, result });
});

app.post('/client/callbackAnswers', (req, res) => {
  res.json({ ok: true, result: callbackAnswers.filter((a) => a.token === req.body.token) });
});

app.post('/client/commands', (req, res) => {
  const menus = [...menusOf(req.body.token).entries()].map(([key, commands]) => {
    const [scope, language_code] = JSON.parse(key);
    return { scope, language_code, commands };
  });
  res.json({ ok: true, result: menus });
});

app.post('/client/upload', (req, res) => {
  const { content_base64: content, mime_type: mimeType, file_name: fileName } = req.body;
  const file = storeFile({ buffer: Buffer.from(content, 'base64'), mime_type: mimeType, file_name: fileName });
  res.json({ ok: true, result: file });
});

app.post('/client/download', (req, res) => {
  const entry = files.get(String(req.body.file_id));
  if (!entry) return fail(res, 404, 'no such file');
  return res.json({ ok: true, result: { content_base64: entry.buffer.toString('base64'), mime_type: entry.mime_type, file_name: entry.file_name } });
});

// Telegram redelivers an update it thinks was not received; so can a test.
app.post('/client/redeliver', (req, res) => {
  const update = emulator.storage.userMessages.find(
    (u) => u.botToken === req.body.token && u.updateId === Number(req.body.update_id),
  );
  if (!update) return fail(res, 404, 'no such update');
  update.isRead = false;
  emulator.emit('AddedUserMessage');
  return res.json({ ok: true, result: true });
});

app.post('/client/block', (req, res) => {
  const key = `${req.body.token}|${req.body.chat_id}`;
  if (req.body.blocked) blockedChats.add(key);
  else blockedChats.delete(key);
  res.json({ ok: true, result: true });
});

// Anything else: the package's own routes.
app.use(emulator.webServer);

const server = http.createServer(app);
server.listen(port, host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
