// The feed demo page: sign in as a demo user, read and page the home timeline, post, follow, delete,
// and watch new posts arrive live. Plain DOM, no framework; the API calls themselves are in api.js.

import { call, session, signIn, signOut, watchHomeTimeline } from "./api.js";

const PAGE_SIZE = 20;
const SCROLLED_PX = 80; // scrolled further down than this, new posts wait behind the pill: the page never jumps
const BACKOFF_MIN_MS = 500; // first wait before reopening a dropped stream; doubles up to the max, jittered
const BACKOFF_MAX_MS = 30_000;
const CREATE_ATTEMPTS = 4; // CreatePost tries on "unavailable", all with the same idempotency key

const $ = (id) => document.getElementById(id);
let view = null; // one timeline view: replaced (and its stream aborted) on sign-out and reload

function say(text) {
  $("status").textContent = text;
}

function isScrolledDown() {
  return window.scrollY > SCROLLED_PX;
}

function renderPost(post) {
  const item = document.createElement("li");
  item.className = "post";
  item.dataset.postId = post.postId;
  item.dataset.authorId = post.authorId;
  if (post.groupId) item.dataset.groupId = post.groupId;
  const meta = document.createElement("div");
  meta.className = "meta";
  const when = post.createTime ? new Date(post.createTime).toLocaleString() : "";
  meta.textContent = `user ${post.authorId}${post.groupId ? ` in group ${post.groupId}` : ""} · ${when}`;
  const text = document.createElement("p");
  text.className = "text";
  text.textContent = post.text; // text, never HTML: a post cannot inject markup
  item.append(meta, text);
  if (post.authorId === session.userId) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "delete";
    remove.textContent = "Delete";
    remove.addEventListener("click", () => deletePost(post.postId));
    item.append(remove);
  }
  return item;
}

function isShown(postId) {
  return $("timeline").querySelector(`[data-post-id="${postId}"]`) !== null;
}

// Insert newest first by id (ids are time-ordered), once: the stream, a page and one's own post may overlap.
function insertPost(post) {
  const list = $("timeline");
  if (isShown(post.postId)) return;
  const id = BigInt(post.postId);
  const before = [...list.children].find((item) => BigInt(item.dataset.postId) < id);
  list.insertBefore(renderPost(post), before || null);
}

function removePosts(selector) {
  for (const item of $("timeline").querySelectorAll(selector)) item.remove();
}

function updatePill() {
  const count = view.pending.length;
  $("new-posts").hidden = count === 0;
  $("new-posts").textContent = `${count} new post${count === 1 ? "" : "s"}`;
}

function showPending() {
  for (const post of view.pending) insertPost(post);
  view.pending = [];
  updatePill();
  window.scrollTo({ top: 0 });
}

function setLive(state) {
  $("live").dataset.state = state; // off | connecting | live | reconnecting
  $("live").textContent = state === "live" ? "● live" : state === "off" ? "" : `○ ${state}…`;
}

// A page of the home timeline, older than the last one shown (or the newest page for token "").
async function loadPage(v, pageToken) {
  const page = await call("feed.v1.FeedService/GetHomeTimeline", {
    userId: session.userId,
    pageSize: PAGE_SIZE,
    pageToken,
  });
  if (v !== view) return null; // signed out or reloaded meanwhile
  for (const post of page.posts || []) insertPost(post);
  v.nextPageToken = page.nextPageToken || "";
  $("load-more").hidden = !v.nextPageToken;
  return page;
}

function onEvent(v, event) {
  v.resumeToken = event.resumeToken || v.resumeToken; // resume after this event, whatever happens next
  if (event.post) {
    if (isShown(event.post.postId)) return; // one's own post, shown when CreatePost answered
    if (isScrolledDown()) {
      v.pending.push(event.post);
      updatePill();
    } else {
      insertPost(event.post);
    }
  } else if (event.deletedPostId) {
    v.pending = v.pending.filter((post) => post.postId !== event.deletedPostId);
    updatePill();
    removePosts(`[data-post-id="${event.deletedPostId}"]`);
  } else if (event.gap) {
    // The server skipped events: the simplest faithful answer is to read the top again.
    start();
  }
}

// Watch from the newest page's prev_page_token, so nothing posted since that page was read is missed;
// after a drop, resume from the last resume_token after a jittered, doubling wait.
async function keepWatching(v) {
  let backoff = BACKOFF_MIN_MS;
  setLive("connecting");
  while (v === view) {
    try {
      const request = { userId: session.userId, pageToken: v.resumeToken };
      for await (const event of watchHomeTimeline(request, v.abort.signal)) {
        // The gateway answers a heartbeat at open and every 15 s of quiet: the stream is open.
        setLive("live");
        if (event.heartbeat) continue; // no event and no resumeToken: nothing to show or keep
        backoff = BACKOFF_MIN_MS;
        onEvent(v, event);
      }
    } catch (e) {
      if (v !== view) return; // aborted: this view is gone
      if (e.code === "unauthenticated") await signIn(session.userId).catch(() => {});
      else if (e.code === "permission_denied" || e.code === "invalid_argument") {
        setLive("off");
        say(`live updates stopped: ${e.message}`);
        return;
      }
    }
    if (v !== view) return;
    setLive("reconnecting");
    await new Promise((resolve) => setTimeout(resolve, backoff * (0.5 + Math.random() / 2)));
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }
}

// (Re)build the view: the newest page, then the live stream from its prev_page_token.
async function start() {
  if (view) view.abort.abort();
  const v = (view = { abort: new AbortController(), pending: [], nextPageToken: "", resumeToken: "" });
  $("timeline").replaceChildren();
  updatePill();
  try {
    const page = await loadPage(v, "");
    if (!page) return;
    v.resumeToken = page.prevPageToken || "";
  } catch (e) {
    say(`could not read the timeline: ${e.message}`);
    return;
  }
  keepWatching(v);
}

function showSignedIn(signedIn) {
  say("");
  $("sign-in").hidden = signedIn;
  $("app").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("whoami").textContent = signedIn ? `signed in as user ${session.userId}` : "";
}

// One logical post, one idempotency key: a retry after "unavailable" (or a second click after a
// failure, with the same text) cannot post twice.
let draft = null;

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts (https, localhost)
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function createPost(text) {
  if (!draft || draft.text !== text) draft = { text, key: newKey() };
  const request = { authorId: session.userId, text, idempotencyKey: draft.key };
  for (let attempt = 1; ; attempt++) {
    try {
      const post = await call("feed.v1.PostService/CreatePost", request);
      draft = null;
      return post;
    } catch (e) {
      if (e.code !== "unavailable" || attempt >= CREATE_ATTEMPTS) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}

async function deletePost(postId) {
  try {
    await call("feed.v1.PostService/DeletePost", { authorId: session.userId, postId });
    removePosts(`[data-post-id="${postId}"]`);
    say("post deleted");
  } catch (e) {
    say(`could not delete: ${e.message}`);
  }
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await signIn($("user-id").value.trim());
  } catch (e) {
    say(`could not sign in: ${e.message}`);
    return;
  }
  showSignedIn(true);
  start();
});

$("sign-out").addEventListener("click", () => {
  if (view) view.abort.abort();
  view = null;
  signOut();
  setLive("off");
  showSignedIn(false);
});

$("compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("post-text").value;
  try {
    const post = await createPost(text);
    $("post-text").value = "";
    insertPost(post); // one's own post shows at once; the stream's copy of it is then skipped
    say("posted");
  } catch (e) {
    say(`could not post: ${e.message}`);
  }
});

$("follow").addEventListener("submit", async (event) => {
  event.preventDefault();
  const followeeId = $("followee-id").value.trim();
  const verb = event.submitter ? event.submitter.value : "Follow";
  try {
    await call(`feed.v1.GraphService/${verb}`, { followerId: session.userId, followeeId });
  } catch (e) {
    say(`could not ${verb.toLowerCase()}: ${e.message}`);
    return;
  }
  if (verb === "Unfollow") {
    removePosts(`[data-author-id="${followeeId}"]:not([data-group-id])`); // group posts stay: not a follow
    say(`unfollowed user ${followeeId}`);
  } else {
    say(`following user ${followeeId}: their new posts arrive live, older ones on the next reload`);
  }
});

$("load-more").addEventListener("click", () =>
  loadPage(view, view.nextPageToken).catch((e) => say(`could not load more: ${e.message}`)),
);
$("new-posts").addEventListener("click", showPending);

if (session) {
  showSignedIn(true);
  start();
}
