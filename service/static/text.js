// Pure text helpers for the chat page: offsets, direction and language hints, highlighting.
// Every piece of article or question text goes into the page through createTextNode, never
// as HTML.

const SURROGATE = /[\uD800-\uDFFF]/;
const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/gu;
const LATIN_LETTER = /[A-Za-z\u00C0-\u024F]/gu;

/**
 * The API counts offsets in Unicode code points (Python), JavaScript strings in UTF-16 units.
 * Returns a function that turns a code point offset into a UTF-16 index of `text`.
 */
export function codePointIndexer(text) {
  if (!SURROGATE.test(text)) {
    return (offset) => Math.max(0, Math.min(offset, text.length));
  }
  const units = [];
  let index = 0;
  for (const character of text) {
    units.push(index);
    index += character.length;
  }
  units.push(index);
  return (offset) => units[Math.max(0, Math.min(offset, units.length - 1))];
}

/** `text[start:end]` as Python would slice it (code points). */
export function sliceCodePoints(text, start, end) {
  const at = codePointIndexer(text);
  return text.slice(at(start), at(end));
}

/**
 * "ar" when the text is mostly Arabic script, otherwise null (the page's own language holds).
 * Only a hint for fonts and screen readers: direction always comes from dir="auto".
 */
export function guessLang(text) {
  const arabic = (text.match(ARABIC_LETTER) || []).length;
  const latin = (text.match(LATIN_LETTER) || []).length;
  return arabic > 0 && arabic >= latin ? "ar" : null;
}

/** A language tag we are willing to put in a lang attribute (the API checks BCP 47 too). */
export function safeLang(lang) {
  return typeof lang === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(lang)
    ? lang
    : null;
}

/**
 * Where `quote` lies in `text`, as UTF-16 [start, end), given its code point offsets relative
 * to `text`. Falls back to searching for the quote when the offsets do not point at it (the
 * article changed since the answer); null when it cannot be found.
 */
export function locate(text, quote, start, end) {
  const at = codePointIndexer(text);
  const from = at(start);
  const to = at(end);
  if (start >= 0 && end > start && text.slice(from, to) === quote) {
    return { start: from, end: to, exact: true };
  }
  const found = quote ? text.indexOf(quote) : -1;
  return found >= 0 ? { start: found, end: found + quote.length, exact: false } : null;
}

/**
 * Renders `text` into `container` as one <p dir="auto"> per line, so that every paragraph
 * takes its own direction, with [highlight.start, highlight.end) (UTF-16) wrapped in <mark>.
 * Returns the <mark> elements (more than one when the highlight crosses a line break).
 */
export function renderParagraphs(container, text, highlight, options = {}) {
  const marks = [];
  const breaks = /\r\n|[\n\r\u2028\u2029]/g;
  let lineStart = 0;
  while (lineStart <= text.length) {
    breaks.lastIndex = lineStart;
    const found = breaks.exec(text);
    const lineEnd = found ? found.index : text.length;
    const line = text.slice(lineStart, lineEnd);
    if (line.trim()) {
      container.append(paragraph(line, lineStart, lineEnd, highlight, options, marks));
    }
    if (!found) break;
    lineStart = lineEnd + found[0].length;
  }
  return marks;
}

function paragraph(line, lineStart, lineEnd, highlight, options, marks) {
  const block = document.createElement("p");
  block.dir = "auto";
  const lang = blockLang(line, options.lang);
  if (lang) {
    block.lang = lang;
  }
  if (highlight && highlight.start < lineEnd && highlight.end > lineStart) {
    const from = Math.max(highlight.start, lineStart) - lineStart;
    const to = Math.min(highlight.end, lineEnd) - lineStart;
    if (from > 0) {
      block.append(document.createTextNode(line.slice(0, from)));
    }
    const mark = document.createElement("mark");
    mark.append(document.createTextNode(line.slice(from, to)));
    block.append(mark);
    marks.push(mark);
    if (to < line.length) {
      block.append(document.createTextNode(line.slice(to)));
    }
    block.classList.add("has-mark");
  } else {
    block.append(document.createTextNode(line));
  }
  return block;
}

/**
 * The lang attribute for one block of an article: "ar" for Arabic script, otherwise the
 * article's declared language unless that is written in Arabic script (then the page's own).
 */
export function blockLang(text, declared) {
  const tag = safeLang(declared);
  return guessLang(text) || (tag && !/^(ar|fa|ur|ps|ckb)(-|$)/i.test(tag) ? tag : null);
}

/** The plain-text citation the copy button puts on the clipboard, one part per line. */
export function citationText(quote) {
  const lines = [`«${quote.text}»`];
  if (quote.title) {
    lines.push(quote.title);
  }
  lines.push(`doc ${quote.doc_id}, characters ${quote.start}-${quote.end}`);
  return lines.join("\n");
}

export function formatScore(score) {
  return typeof score === "number" && Number.isFinite(score) ? score.toFixed(2) : "–";
}

export function formatDuration(milliseconds) {
  if (typeof milliseconds !== "number" || !Number.isFinite(milliseconds)) {
    return "";
  }
  return milliseconds < 1000
    ? `${Math.round(milliseconds)} ms`
    : `${(milliseconds / 1000).toFixed(1)} s`;
}
