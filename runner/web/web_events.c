/*
 * web_events.c: the event stream of the web UI (server-sent events). Events
 * (run log events, job changes, the runs and targets web_live.c follows in
 * the target database) are kept in a ring; a client reads from the
 * id after the one it names (Last-Event-ID or ?since=) or from now. A stream
 * with nothing to send suspends its connection: it holds no thread, and its
 * connection does not time out. A new event resumes every waiting stream;
 * every EVENTS_KEEPALIVE seconds one thread resumes them for a keep-alive
 * comment, which also finds the clients that went away.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "web.h"

/* events kept for streams that fall behind or reconnect */
#define NEVENTS 4096

/* one client's place in the event stream */
struct stream {
	struct MHD_Connection *conn;
	long long next;              /* id of the next event to send */
	char *pending;               /* text not yet sent */
	char *hello;                 /* sent first, without an id: the state when it came */
	size_t off, len;
	bool started;
	bool ping;                   /* woken for a keep-alive */
	struct stream *waiting;      /* next in bus.waiting */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t tick;         /* the keep-alive thread's clock (monotonic) */
	char *ev[NEVENTS];           /* serialised event of id i at i % NEVENTS */
	long long next;              /* id of the next event; the first is 1 */
	bool closing;
	struct stream *waiting;      /* streams whose connections are suspended */
	pthread_t keepalive;
	bool running;
} bus = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 1, false, NULL, 0, false };

/* resume every waiting stream; call with bus.mu held */
static void
wake_all(bool ping)
{
	struct stream *st, *next;

	for (st = bus.waiting; st; st = next) {
		next = st->waiting;
		st->waiting = NULL;
		st->ping |= ping;
		MHD_resume_connection(st->conn);
	}
	bus.waiting = NULL;
}

void
events_push(json_t *j)
{
	char *s;

	/* the one way out for run events: nothing secret in them */
	scrub_json(j);
	pthread_mutex_lock(&bus.mu);
	json_object_set_new(j, "id", json_integer(bus.next));
	s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (s) {
		free(bus.ev[bus.next % NEVENTS]);
		bus.ev[bus.next % NEVENTS] = s;
		bus.next++;
		wake_all(false);
	}
	pthread_mutex_unlock(&bus.mu);
	json_decref(j);
}

static void *
keepalive_main(void *arg)
{
	struct timespec ts;

	pthread_mutex_lock(&bus.mu);
	while (!bus.closing) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += EVENTS_KEEPALIVE;
		while (!bus.closing && pthread_cond_timedwait(&bus.tick, &bus.mu, &ts) != ETIMEDOUT)
			;
		wake_all(true);
	}
	pthread_mutex_unlock(&bus.mu);
	return NULL;
}

void
events_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&bus.tick);
	pthread_cond_init(&bus.tick, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&bus.mu);
	bus.closing = false;
	pthread_mutex_unlock(&bus.mu);
	bus.running = pthread_create(&bus.keepalive, NULL, keepalive_main, NULL) == 0;
	live_start();
}

void
events_shutdown(void)
{
	/* no event of other runs after this */
	live_stop();
	pthread_mutex_lock(&bus.mu);
	bus.closing = true;
	/* each stream ends when it resumes */
	wake_all(false);
	pthread_cond_broadcast(&bus.tick);
	pthread_mutex_unlock(&bus.mu);
	if (bus.running)
		pthread_join(bus.keepalive, NULL);
	bus.running = false;
}

/* what st has to send into st->pending; false when nothing; call with bus.mu held */
static bool
stream_fill(struct stream *st)
{
	struct buf b;

	buf_init(&b);
	if (!st->started) {
		buf_adds(&b, "retry: 2000\n\n");
		if (st->hello)
			buf_addf(&b, "data: %s\n\n", st->hello);
		st->started = true;
	}
	if (st->next < bus.next - NEVENTS)
		st->next = bus.next - NEVENTS;
	for (; st->next < bus.next && b.len < 65536; st->next++)
		buf_addf(&b, "id: %lld\ndata: %s\n\n", st->next, bus.ev[st->next % NEVENTS]);
	if (b.len == 0 && st->ping)
		buf_adds(&b, ": keepalive\n\n");
	st->ping = false;
	if (b.len == 0)
		return false;
	st->len = b.len;
	st->off = 0;
	st->pending = buf_detach(&b);
	return true;
}

/* libmicrohttpd asks for more of the stream, in its polling thread */
static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *st = cls;
	size_t n;

	if (!st->pending) {
		pthread_mutex_lock(&bus.mu);
		if (bus.closing) {
			pthread_mutex_unlock(&bus.mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (!stream_fill(st)) {
			/* wait without a thread: an event or the keep-alive resumes it */
			st->waiting = bus.waiting;
			bus.waiting = st;
			MHD_suspend_connection(st->conn);
			pthread_mutex_unlock(&bus.mu);
			return 0;
		}
		pthread_mutex_unlock(&bus.mu);
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(out, st->pending + st->off, n);
	st->off += n;
	if (st->off == st->len) {
		free(st->pending);
		st->pending = NULL;
	}
	return (ssize_t)n;
}

/* never called while the stream waits: a suspended connection is not closed */
static void
stream_free(void *cls)
{
	struct stream *st = cls;

	free(st->pending);
	free(st->hello);
	free(st);
	live_listen(-1);
}

/* an event id as a client sends it back: digits only; -1 when it is not one */
static long long
event_id(const char *s)
{
	char *end;
	long long id;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	id = strtoll(s, &end, 10);
	if (errno == ERANGE || *end)
		return -1;
	return id;
}

void
api_events(struct web_req *rq, struct web_reply *rp)
{
	const char *last = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Last-Event-ID");
	const char *since = web_arg(rq, "since");
	const char *given = last ? last : since;
	long long after = event_id(given);
	struct stream *st;

	if (given && after < 0) {
		web_error(rp, 400, "invalid %s '%s': expected the id of an event",
		          last ? "Last-Event-ID" : "since", given);
		return;
	}
	st = xcalloc(1, sizeof(*st));
	st->conn = rq->conn;
	/* the runs in the database are followed while someone listens (web_live.c) */
	live_listen(1);
	/* a client that comes while the database is down hears it: "down" is said once */
	st->hello = live_down_event();
	pthread_mutex_lock(&bus.mu);
	/* from the event after the one named, when the ring still holds it; else from now */
	st->next = given && after < bus.next ? after + 1 : bus.next;
	pthread_mutex_unlock(&bus.mu);
	rp->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st,
	                                            stream_free);
	if (!rp->raw) {
		stream_free(st);
		web_error(rp, 500, "cannot start the event stream");
		return;
	}
	MHD_add_response_header(rp->raw, "Content-Type", "text/event-stream");
	MHD_add_response_header(rp->raw, "Cache-Control", "no-cache");
	MHD_add_response_header(rp->raw, "X-Accel-Buffering", "no");
	rp->status = 200;
}
