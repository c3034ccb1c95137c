// The Iqtibas chat page: ask, show the quotes as cards, open the article around a quote.
// Plain ES module, no build step. Article and question text only ever enters the page as
// text nodes (see text.js); the page runs under the app's strict Content-Security-Policy.

import {
  blockLang,
  citationText,
  formatDuration,
  formatScore,
  guessLang,
  locate,
  renderParagraphs,
  safeLang,
} from "./text.js";

const ASK_TIMEOUT_MS = 120_000;
const READ_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 3_000;

const form = document.getElementById("ask-form");
const input = document.getElementById("question");
const topK = document.getElementById("top-k");
const turns = document.getElementById("turns");
const intro = document.getElementById("intro");
const announcer = document.getElementById("announcer");
const indexStatus = document.getElementById("index-status");
const dialog = document.getElementById("article-dialog");
const keyForm = document.getElementById("key-form");
const keyInput = document.getElementById("access-key");
const keyMessage = document.getElementById("key-message");

// A server with a read key (IQTIBAS_READ_API_KEY) answers 401 until the page sends it: the
// page asks once and keeps the key for this tab only (sessionStorage, never localStorage).
const KEY_STORAGE = "iqtibas.accessKey";

let turnCount = 0;

// --- small DOM helpers (text only) -------------------------------------------------------

function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.dir) node.dir = options.dir;
  if (options.lang) node.lang = options.lang;
  if (options.id) node.id = options.id;
  if (options.type) node.type = options.type;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs || {})) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** A block of free text that takes its own direction (and a language hint for Arabic). */
function textBlock(tag, text, className, lang) {
  const hint = safeLang(lang) || guessLang(text);
  return el(tag, { className, dir: "auto", lang: hint || undefined, text });
}

/** Inline free text (ids, titles) isolated from the surrounding direction. */
function isolated(text, className) {
  const hint = guessLang(text);
  return el("bdi", { className, lang: hint || undefined, text });
}

let announceTimer = 0;
function announce(message) {
  // cleared first so that the same message twice is still read out
  announcer.textContent = "";
  window.clearTimeout(announceTimer);
  announceTimer = window.setTimeout(() => {
    announcer.textContent = message;
  }, 60);
}

// --- the access key -----------------------------------------------------------------------

function accessKey() {
  try {
    return window.sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return ""; // storage disabled: the key is asked for again
  }
}

function storeKey(key) {
  try {
    if (key) window.sessionStorage.setItem(KEY_STORAGE, key);
    else window.sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: nothing to keep
  }
}

function askForKey(message) {
  keyMessage.textContent = message;
  keyForm.hidden = false;
  keyInput.focus();
}

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    keyInput.setAttribute("aria-invalid", "true");
    keyInput.focus();
    return;
  }
  keyInput.removeAttribute("aria-invalid");
  storeKey(key);
  keyInput.value = "";
  keyForm.hidden = true;
  announce("Access key saved for this tab. Ask again.");
  input.focus();
});

// --- the API ------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, { kind, status, code, details, requestId, retryAfter } = {}) {
    super(message);
    this.kind = kind || "http"; // http | network | timeout | bad_response
    this.status = status ?? null;
    this.code = code ?? null;
    this.details = Array.isArray(details) ? details : [];
    this.requestId = requestId ?? null;
    this.retryAfter = retryAfter ?? null;
  }
}

async function requestJson(path, { method = "GET", body, timeoutMs = READ_TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), timeoutMs);
  let response;
  const key = accessKey();
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers.Authorization = `Bearer ${key}`;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
    });
  } catch (error) {
    window.clearTimeout(timer);
    if (controller.signal.aborted) {
      throw new ApiError(
        `The service did not answer within ${Math.round(timeoutMs / 1000)} seconds. Try again in a moment.`,
        { kind: "timeout" },
      );
    }
    throw new ApiError(
      "The request did not reach the Iqtibas service. Check that the server is running and that you are online, then try again.",
      { kind: "network" },
    );
  }
  let raw = "";
  try {
    raw = await response.text();
  } catch {
    window.clearTimeout(timer);
    throw new ApiError("The connection to the service broke while it was answering. Try again.", {
      kind: "network",
      status: response.status,
    });
  }
  window.clearTimeout(timer);
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = null;
  }
  const requestId = response.headers.get("X-Request-ID");
  if (response.status === 401) {
    storeKey(""); // a key that was refused is not sent again
    askForKey(key
      ? "The access key was not accepted. Enter the right key, then try again."
      : "This server needs an access key to answer. Enter it, then try again.");
  }
  if (!response.ok) {
    const error = data && typeof data === "object" && data.error && typeof data.error === "object"
      ? data.error
      : null;
    const message = error && typeof error.message === "string" && error.message
      ? error.message
      : `The service answered with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.`;
    throw new ApiError(message, {
      status: response.status,
      code: error && typeof error.code === "string" ? error.code : null,
      details: error ? error.details : null,
      requestId,
      retryAfter: response.headers.get("Retry-After"),
    });
  }
  if (data === null || typeof data !== "object") {
    throw new ApiError("The service sent an answer this page cannot read (not JSON).", {
      kind: "bad_response",
      status: response.status,
      requestId,
    });
  }
  return data;
}

function documentPath(id) {
  return `documents/${encodeURIComponent(id)}`;
}

// --- index status in the header -----------------------------------------------------------

let statusTimer = 0;

async function refreshStatus() {
  window.clearTimeout(statusTimer);
  try {
    const ready = await requestJson("ready", { timeoutMs: 10_000 });
    const count = Number(ready.articles) || 0;
    indexStatus.dataset.state = "ready";
    indexStatus.textContent = `${count.toLocaleString("en")} ${count === 1 ? "article" : "articles"} indexed`;
  } catch (error) {
    if (error.status === 503) {
      indexStatus.dataset.state = "loading";
      indexStatus.textContent = "Starting: loading the model and the index…";
      statusTimer = window.setTimeout(refreshStatus, READY_POLL_MS);
    } else {
      indexStatus.dataset.state = "down";
      indexStatus.textContent = error.kind === "network" ? "Service unreachable" : "Status unknown";
    }
  }
}

// --- asking -------------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = input.value.trim();
  if (!question) {
    input.setAttribute("aria-invalid", "true");
    announce("Type a question first.");
    input.focus();
    return;
  }
  input.removeAttribute("aria-invalid");
  input.value = "";
  ask(question, Number(topK.value) || 3);
});

input.addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter adds a line; never while an input method is composing
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) {
    return;
  }
  event.preventDefault();
  form.requestSubmit();
});

input.addEventListener("input", () => input.removeAttribute("aria-invalid"));

for (const button of document.querySelectorAll("button.example")) {
  button.addEventListener("click", () => {
    ask(button.textContent.trim(), Number(topK.value) || 3);
    input.focus();
  });
}

function ask(question, k) {
  turnCount += 1;
  const number = turnCount;
  intro.hidden = true;

  const turn = el("li", { className: "turn", id: `turn-${number}` });
  turn.dataset.turn = String(number);
  const heading = el("h2", { className: "visually-hidden", id: `turn-${number}-title`, text: `Question ${number}` });
  const bubble = el("div", { className: "question" });
  bubble.append(textBlock("p", question, "question-text"));
  const answer = el("section", {
    className: "answer",
    attrs: { "aria-label": `Answer ${number}`, "aria-busy": "true" },
  });
  answer.append(loadingIndicator());
  turn.append(heading, bubble, answer);
  turns.append(turn);
  scrollToTurn(turn);
  announce("Searching the sources…");

  const run = async () => {
    answer.setAttribute("aria-busy", "true");
    answer.replaceChildren(loadingIndicator());
    try {
      const result = await requestJson("ask", {
        method: "POST",
        body: { question, top_k: k },
        timeoutMs: ASK_TIMEOUT_MS,
      });
      if (!Array.isArray(result.quotes)) {
        throw new ApiError("The service sent an answer without quotes.", { kind: "bad_response" });
      }
      renderAnswer(answer, result, number);
      refreshStatus(); // the index may have changed since the page was opened
    } catch (error) {
      renderError(answer, error instanceof ApiError ? error : new ApiError(String(error && error.message || error), { kind: "bad_response" }), run);
    } finally {
      answer.setAttribute("aria-busy", "false");
      if (turn === turns.lastElementChild) scrollToTurn(turn);
    }
  };
  run();
}

function loadingIndicator() {
  return el(
    "div",
    { className: "loading" },
    el("span", { className: "spinner", attrs: { "aria-hidden": "true" } }),
    "Searching the sources…",
  );
}

function scrollToTurn(turn) {
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  turn.scrollIntoView({ block: "start", behavior: reduce ? "auto" : "smooth" });
}

function renderAnswer(container, result, number) {
  container.replaceChildren();
  const quotes = result.quotes;
  const answerable = result.answerable === true && quotes.length > 0;
  container.classList.toggle("answer--answered", answerable);
  container.classList.toggle("answer--unanswerable", !answerable);
  container.dataset.answerable = String(answerable);

  const took = formatDuration(result.took_ms);
  if (answerable) {
    const count = `${quotes.length} ${quotes.length === 1 ? "quote" : "quotes"}`;
    container.append(
      el(
        "p",
        { className: "answer-status" },
        el("span", { className: "answer-label", text: "Answer, quoted from the sources" }),
        el("span", { className: "answer-meta", text: ` · ${count}${took ? ` · ${took}` : ""}` }),
      ),
    );
  } else {
    const notice = el(
      "div",
      { className: "notice" },
      el("p", { className: "notice-title", text: "The sources do not answer this." }),
      el("p", {
        className: "notice-text",
        text: quotes.length
          ? "None of the stored articles answers the question. The nearest passages are listed below as related reading."
          : "None of the stored articles answers the question, and no passage is related to it.",
      }),
    );
    container.append(notice);
    if (quotes.length) {
      container.append(el("h3", { className: "related-heading", text: "Related reading" }));
    }
  }

  const list = el("ol", { className: answerable ? "quotes" : "quotes quotes--related" });
  quotes.forEach((quote, index) => {
    list.append(el("li", {}, quoteCard(quote, index, number, answerable)));
  });
  if (quotes.length) container.append(list);

  if (answerable) {
    const best = quotes[0];
    announce(
      `Answer with ${quotes.length} ${quotes.length === 1 ? "quote" : "quotes"}. ` +
        `Best quote, from ${best.title || `article ${best.doc_id}`}: ${best.text}`,
    );
  } else {
    const nearest = quotes[0];
    announce(
      nearest
        ? `The sources do not answer this. ${quotes.length} related ${quotes.length === 1 ? "passage is" : "passages are"} listed as related reading. ` +
            `Nearest passage, from ${nearest.title || `article ${nearest.doc_id}`}: ${nearest.text}`
        : "The sources do not answer this.",
    );
  }
}

function quoteCard(quote, index, number, answerable) {
  const titleId = `turn-${number}-quote-${index + 1}`;
  const card = el("article", {
    className: answerable ? "quote-card" : "quote-card quote-card--related",
    attrs: { "aria-labelledby": titleId },
  });
  card.dataset.docId = String(quote.doc_id);

  const head = el(
    "div",
    { className: "card-head" },
    el("span", { className: "rank" }, el("span", { className: "visually-hidden", text: "Quote " }), `${index + 1}`),
    el(
      "span",
      { className: "score", attrs: { title: "How well the quote answers the question; higher is better" } },
      "score ",
      el("span", { className: "score-value", text: formatScore(quote.score) }),
    ),
  );
  const title = quote.title
    ? textBlock("h3", quote.title, "card-title")
    : el("h3", { className: "card-title card-title--untitled", text: "Untitled article" });
  title.id = titleId;

  // the quote highlighted inside its context
  const body = el("blockquote", { className: "context" });
  const context = quote.context && typeof quote.context.text === "string" ? quote.context : null;
  let marks = [];
  if (context) {
    const found = locate(context.text, quote.text, quote.start - context.start, quote.end - context.start);
    if (found) {
      marks = renderParagraphs(body, context.text, found);
    }
  }
  if (!marks.length) {
    body.replaceChildren();
    marks = renderParagraphs(body, quote.text, { start: 0, end: quote.text.length });
  }
  for (const mark of marks) mark.classList.add("quote");

  const citation = el(
    "p",
    { className: "citation" },
    "doc ",
    isolated(String(quote.doc_id), "doc-id"),
    el("span", { className: "sep", text: " · ", attrs: { "aria-hidden": "true" } }),
    "characters ",
    el("span", { className: "offsets", text: `${quote.start}–${quote.end}` }),
  );

  const copy = el("button", { type: "button", className: "button copy", text: "Copy citation" });
  copy.addEventListener("click", () => copyCitation(copy, quote));
  const open = el("button", { type: "button", className: "button open", text: "Open article" });
  open.addEventListener("click", () => openArticle(quote, open));

  const foot = el("div", { className: "card-foot" }, citation, el("div", { className: "actions" }, copy, open));
  card.append(head, title, body, foot);
  return card;
}

function renderError(container, error, retry) {
  container.replaceChildren();
  container.classList.add("answer--error");
  container.dataset.answerable = "";
  const titles = {
    network: "Could not reach the service",
    timeout: "The service took too long",
    bad_response: "The answer could not be read",
  };
  let title = titles[error.kind] || "The service could not answer";
  if (error.status === 401) title = "An access key is needed";
  if (error.status === 429) title = "Too many questions at once";
  if (error.status === 503) title = "The service is not ready yet";

  const box = el("div", { className: "error-box" });
  box.append(el("p", { className: "error-title", text: title }));
  box.append(textBlock("p", error.message, "error-message"));
  if (error.status === 429 || error.status === 503) {
    const seconds = Number(error.retryAfter);
    box.append(
      el("p", {
        className: "error-hint",
        text: Number.isFinite(seconds) && seconds > 0
          ? `Try again in ${seconds} ${seconds === 1 ? "second" : "seconds"}.`
          : "Try again in a moment.",
      }),
    );
  }
  if (error.status === 401) {
    box.append(el("p", { className: "error-hint", text: "Enter the key above, then press Try again." }));
  }
  if (error.details.length) {
    const list = el("ul", { className: "error-details" });
    for (const item of error.details) {
      if (!item || typeof item !== "object") continue;
      const where = Array.isArray(item.loc) ? item.loc.join(".") : "";
      list.append(el("li", {}, where ? el("code", { text: where }) : null, where ? ": " : "", String(item.msg ?? "")));
    }
    box.append(list);
  }
  const facts = [];
  if (error.status) facts.push(`HTTP ${error.status}`);
  if (error.code) facts.push(error.code);
  if (error.requestId) facts.push(`request ${error.requestId}`);
  if (facts.length) box.append(el("p", { className: "error-meta", text: facts.join(" · ") }));

  const again = el("button", { type: "button", className: "button retry", text: "Try again" });
  again.addEventListener("click", () => {
    container.classList.remove("answer--error");
    retry();
  });
  box.append(again);
  container.append(box);
  announce(`${title}. ${error.message}`);
}

// --- copying a citation -------------------------------------------------------------------

async function copyCitation(button, quote) {
  const text = citationText(quote);
  let copied = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      copied = false;
    }
  }
  if (!copied) copied = copyWithSelection(text, button);
  const label = copied ? "Copied" : "Copy failed";
  button.textContent = label;
  button.classList.toggle("is-done", copied);
  announce(copied ? "Citation copied to the clipboard." : "The citation could not be copied.");
  window.setTimeout(() => {
    button.textContent = "Copy citation";
    button.classList.remove("is-done");
  }, 2000);
}

function copyWithSelection(text, returnFocusTo) {
  // for pages served over plain http, where the Clipboard API is not available
  const buffer = el("textarea", { className: "clipboard-buffer", attrs: { readonly: "", "aria-hidden": "true" } });
  buffer.value = text;
  document.body.append(buffer);
  buffer.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  buffer.remove();
  returnFocusTo.focus();
  return ok;
}

// --- the article view ---------------------------------------------------------------------

const articleId = document.getElementById("article-id");
const articleTitle = document.getElementById("article-title");
const articleMeta = document.getElementById("article-meta");
const articleNote = document.getElementById("article-note");
const articleSummary = document.getElementById("article-summary");
const articleSummaryText = document.getElementById("article-summary-text");
const articleScroll = document.getElementById("article-body");
const articleBody = document.getElementById("article-text");
let opener = null;
let openToken = 0;

document.getElementById("article-close").addEventListener("click", () => dialog.close());
dialog.addEventListener("click", (event) => {
  if (event.target === dialog) dialog.close(); // a click on the backdrop
});
dialog.addEventListener("close", () => {
  openToken += 1;
  if (opener && opener.isConnected) opener.focus();
  opener = null;
});

async function openArticle(quote, button) {
  const token = ++openToken;
  opener = button;
  articleId.textContent = String(quote.doc_id);
  articleTitle.textContent = quote.title || "Untitled article";
  setLang(articleTitle, guessLang(quote.title || ""));
  articleMeta.replaceChildren();
  articleSummary.hidden = true;
  articleSummary.open = false;
  articleSummaryText.replaceChildren();
  articleNote.hidden = true;
  articleNote.textContent = "";
  articleBody.replaceChildren(el("div", { className: "loading" }, el("span", { className: "spinner", attrs: { "aria-hidden": "true" } }), "Loading the article…"));
  articleBody.setAttribute("aria-busy", "true");
  articleScroll.scrollTop = 0;
  if (!dialog.open) dialog.showModal();

  let article;
  try {
    article = await requestJson(documentPath(quote.doc_id));
  } catch (error) {
    if (token !== openToken) return;
    articleBody.setAttribute("aria-busy", "false");
    const message = error.status === 404
      ? "This article is no longer in the index."
      : error.message;
    articleBody.replaceChildren(
      el("div", { className: "error-box" },
        el("p", { className: "error-title", text: "The article could not be opened" }),
        textBlock("p", message, "error-message"),
        error.status ? el("p", { className: "error-meta", text: [`HTTP ${error.status}`, error.code, error.requestId && `request ${error.requestId}`].filter(Boolean).join(" · ") }) : null),
    );
    announce(`The article could not be opened. ${message}`);
    return;
  }
  if (token !== openToken) return;
  articleBody.setAttribute("aria-busy", "false");
  renderArticle(article, quote);
}

function setLang(node, lang) {
  if (lang) node.lang = lang;
  else node.removeAttribute("lang");
}

function renderArticle(article, quote) {
  const text = typeof article.text === "string" ? article.text : "";
  const lang = safeLang(article.lang);
  articleTitle.textContent = article.title || "Untitled article";
  setLang(articleTitle, blockLang(article.title || "", lang));

  const meta = [];
  if (lang) meta.push(el("span", { text: `language ${lang}` }));
  if (article.published) meta.push(el("span", {}, "published ", isolated(String(article.published))));
  if (article.source) meta.push(el("span", {}, "source ", isolated(String(article.source))));
  meta.push(el("span", { text: `${Array.from(text).length.toLocaleString("en")} characters` }));
  if (typeof article.url === "string" && /^https?:\/\//i.test(article.url)) {
    const link = el("a", { text: "original article", attrs: { href: article.url, rel: "noopener noreferrer", target: "_blank" } });
    meta.push(link);
  }
  articleMeta.replaceChildren();
  meta.forEach((item, i) => {
    if (i) articleMeta.append(el("span", { className: "sep", text: " · ", attrs: { "aria-hidden": "true" } }));
    articleMeta.append(item);
  });

  if (typeof article.summary === "string" && article.summary.trim()) {
    renderParagraphs(articleSummaryText, article.summary, null, { lang });
    articleSummary.hidden = false;
  }

  articleBody.replaceChildren();
  const found = locate(text, quote.text, quote.start, quote.end);
  const marks = renderParagraphs(articleBody, text, found, { lang });
  for (const mark of marks) mark.classList.add("quote");
  if (found && !found.exact) {
    articleNote.textContent = "The article has changed since this answer: the quote was found at another place.";
    articleNote.hidden = false;
  } else if (!found) {
    articleNote.textContent = "The article has changed since this answer: the quote is no longer in it.";
    articleNote.hidden = false;
  }
  if (marks.length) {
    marks[0].id = "article-quote";
    // after layout, so that the dialog has its final size
    window.requestAnimationFrame(() => marks[0].scrollIntoView({ block: "center", inline: "nearest" }));
    announce(`Article opened: ${article.title || article.id}. The quote is highlighted.`);
  } else {
    articleScroll.scrollTop = 0;
    announce(`Article opened: ${article.title || article.id}.`);
  }
}

refreshStatus();
