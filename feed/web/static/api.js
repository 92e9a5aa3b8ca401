// Calling the feed API from a browser: the part of the demo page for front ends to copy.
//
// Every call goes to this page's own origin (the web gateway, FEED_WEB_ADDR) over the Connect protocol:
// - unary: POST /feed.v1.<Service>/<Method>, content-type application/json, the request and the answer in
//   the proto3 JSON mapping (camelCase names, 64-bit ids as strings: never turn them into Numbers, they
//   exceed 2^53); an error is a 4xx/5xx status with {"code": "...", "message": "..."}.
// - server stream (WatchHomeTimeline): content-type application/connect+json, the request and every answer
//   in an envelope (1 flag byte, a 4-byte big-endian length, JSON); the last envelope has flag 0x02 and
//   carries {} or {"error": {...}}.
// The messages are those of protos/feed/v1/*.proto; docs/streams.md says what the stream sends when.

const SESSION_KEY = "feed.demo.session"; // sessionStorage: {token, userId}, gone when the tab closes

export class ApiError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code; // the Connect code: "unauthenticated", "not_found", "unavailable", ...
  }
}

// The signed-in user, or null (an export that follows reassignments: importers see the current one).
export let session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");

function headers(contentType) {
  return {
    "content-type": contentType,
    "connect-protocol-version": "1",
    authorization: `Bearer ${session.token}`, // the same bearer token the gRPC port takes
  };
}

// One unary call, e.g. call("feed.v1.FeedService/GetHomeTimeline", {userId: "2", pageSize: 20}).
export async function call(method, request, retried = false) {
  let response;
  try {
    response = await fetch(`/${method}`, {
      method: "POST",
      headers: headers("application/json"),
      body: JSON.stringify(request),
    });
  } catch (e) {
    throw new ApiError("unavailable", e.message); // no answer at all: the network or the gateway
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) return body;
  const error = new ApiError(body.code || "unknown", body.message || response.statusText);
  if (error.code === "unauthenticated" && !retried) {
    await signIn(session.userId); // the demo token expired: mint another, then try once more
    return call(method, request, true);
  }
  throw error;
}

// Demo sign-in: a token for any user id, minted by the local stack (never offered in production).
export async function signIn(userId) {
  const response = await fetch("/demo/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (response.status === 404 || response.status === 405) {
    throw new ApiError("unimplemented", "demo sign-in is off on this gateway (FEED_WEB_DEMO; `feed up` turns it on)");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.code || "unknown", body.message || response.statusText);
  session = { token: body.token, userId: body.userId };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function signOut() {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
}

function envelope(flags, json) {
  const payload = new TextEncoder().encode(JSON.stringify(json));
  const bytes = new Uint8Array(5 + payload.length);
  bytes[0] = flags;
  new DataView(bytes.buffer).setUint32(1, payload.length); // big-endian by default
  bytes.set(payload, 5);
  return bytes;
}

// The server stream: yields each HomeTimelineEvent; returns at a clean end, throws ApiError otherwise.
// The response (headers included) begins with the first event: a quiet stream stays "pending" meanwhile.
export async function* watchHomeTimeline(request, signal) {
  const response = await fetch("/feed.v1.FeedService/WatchHomeTimeline", {
    method: "POST",
    headers: headers("application/connect+json"),
    body: envelope(0, request),
    signal,
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({})); // refused before streaming: a unary-style error
    throw new ApiError(body.code || "unknown", body.message || response.statusText);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = new Uint8Array(0);
  for (;;) {
    while (buffer.length >= 5) {
      // a read may end inside an envelope, or hold several: take only whole ones
      const length = new DataView(buffer.buffer, buffer.byteOffset).getUint32(1);
      if (buffer.length < 5 + length) break;
      const flags = buffer[0];
      const message = JSON.parse(decoder.decode(buffer.subarray(5, 5 + length)));
      buffer = buffer.slice(5 + length);
      if (flags & 0x02) {
        if (message.error) throw new ApiError(message.error.code, message.error.message || "");
        return;
      }
      yield message;
    }
    const { value, done } = await reader.read();
    if (done) throw new ApiError("unavailable", "the stream ended without its end-of-stream message");
    const joined = new Uint8Array(buffer.length + value.length);
    joined.set(buffer);
    joined.set(value, buffer.length);
    buffer = joined;
  }
}
