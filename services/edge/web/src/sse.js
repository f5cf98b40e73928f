// Server-sent events over fetch, so the Authorization header can be sent
// (EventSource cannot set headers).

/**
 * Incremental parser of the text/event-stream format. Feed it decoded text
 * chunks; it calls onEvent({event, data, id}) for every complete event.
 */
export function createSseParser(onEvent) {
  let buffer = '';
  let data = [];
  let event = '';
  let id = '';
  const dispatch = () => {
    if (data.length) onEvent({ event: event || 'message', data: data.join('\n'), id });
    data = [];
    event = '';
  };
  return (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (buffer[newline] === '\r' && newline === buffer.length - 1) break;
      const line = buffer.slice(0, newline);
      const sepLength = buffer.startsWith('\r\n', newline) ? 2 : 1;
      buffer = buffer.slice(newline + sepLength);
      if (line === '') {
        dispatch();
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id') id = value;
    }
  };
}

/**
 * Opens the stream and calls onEvent for each event until it ends, the
 * signal aborts, or onEvent returns true (done). Rejects on HTTP errors.
 */
export async function streamEvents(url, headers, onEvent, signal) {
  const response = await fetch(url, {
    headers: { ...headers, Accept: 'text/event-stream' },
    signal,
    cache: 'no-store',
  });
  if (!response.ok || !response.body) {
    throw new Error(`events: HTTP ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let done = false;
  const feed = createSseParser((e) => {
    if (!done && onEvent(e) === true) done = true;
  });
  try {
    while (!done) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      feed(value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return done;
}
