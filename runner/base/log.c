/* log.c: terminal output and JSON-lines logs */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "util.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *logfile;
static _Thread_local bool quiet;   /* per run: see log_set_quiet() */
static bool progress_shown;
static atomic_int debug = -1;
static int opens;
static log_listener listener;
static void *listener_arg;
/* rotation: the log's path, its lock file (shared by every process), its limits */
static char *logpath;
static int lockfd = -1;
static long long max_size;
static int keep;

static const char *levels[] = { "DEBUG", "INFO", "WARN", "ERROR" };

bool
log_debug_enabled(void)
{
	int d = atomic_load(&debug);

	if (d < 0) {
		const char *v = env_get("LOG_LEVEL");

		if (!v || !*v)
			v = env_get("LUIGI_LOG_LEVEL");
		d = v && strcasecmp(v, "DEBUG") == 0;
		atomic_store(&debug, d);
	}
	return d;
}

void
log_read_level(void)
{
	atomic_store(&debug, -1);
	log_debug_enabled();
}

void
log_set_quiet(bool q)
{
	quiet = q;
}

bool
log_quiet(void)
{
	return quiet;
}

/* a size from the environment: bytes, or with a suffix k, M, G (1024s) */
static long long
env_size(const char *name, long long dflt)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return dflt;
	n = strtoll(v, &end, 10);
	if (end == v || n < 0)
		return dflt;
	switch (*end) {
	case 'k': case 'K': n *= 1024; end++; break;
	case 'm': case 'M': n *= 1024 * 1024; end++; break;
	case 'g': case 'G': n *= 1024LL * 1024 * 1024; end++; break;
	}
	return *end ? dflt : n;
}

/*
 * the log rotates by size: chacc.jsonl becomes chacc.jsonl.1 (and .1 .2 ...)
 * once it would grow past CHACC_LOG_MAX_SIZE (default 10M; 0 never), keeping
 * CHACC_LOG_KEEP old files (default 5). Processes sharing the log take the
 * lock file chacc.jsonl.lock around each line, and reopen the log when
 * another process renamed it.
 */
static void
rotation_open(const char *path)
{
	char *lock = xasprintf("%s.lock", path);

	free(logpath);
	logpath = xstrdup(path);
	max_size = env_size("CHACC_LOG_MAX_SIZE", 10LL * 1024 * 1024);
	keep = (int)env_size("CHACC_LOG_KEEP", 5);
	if (keep > 1000)
		keep = 1000;
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lock);
}

static void
rotation_close(void)
{
	if (lockfd >= 0)
		close(lockfd);
	lockfd = -1;
	free(logpath);
	logpath = NULL;
}

/* shift chacc.jsonl.N to .N+1, dropping the oldest, and the log to .1 */
static void
rotate(void)
{
	char *from, *to;

	to = xasprintf("%s.%d", logpath, keep);
	unlink(to);
	for (int i = keep - 1; i >= 1; i--) {
		from = xasprintf("%s.%d", logpath, i);
		rename(from, to);
		free(to);
		to = from;
	}
	if (keep > 0)
		rename(logpath, to);
	else
		unlink(logpath);
	free(to);
}

/* with the lock held: follow a rename by another process, rotate when line would not fit */
static void
rotation_check(size_t line)
{
	struct stat cur, mine;

	if (!logpath)
		return;
	if (stat(logpath, &cur) < 0 || fstat(fileno(logfile), &mine) < 0 ||
	    cur.st_ino != mine.st_ino || cur.st_dev != mine.st_dev) {
		FILE *f = fopen(logpath, "a");

		if (!f)
			return;
		fclose(logfile);
		logfile = f;
		if (fstat(fileno(logfile), &mine) < 0)
			return;
	}
	if (max_size > 0 && mine.st_size > 0 && mine.st_size + (long long)line > max_size) {
		FILE *f;

		rotate();
		if ((f = fopen(logpath, "a"))) {
			fclose(logfile);
			logfile = f;
		}
	}
}

void
log_open(const char *dir, bool q)
{
	char *state = xasprintf("%s/state", dir), *logs = xasprintf("%s/state/logs", dir);
	char *path = xasprintf("%s/chacc.jsonl", logs);

	quiet = q;
	pthread_mutex_lock(&mu);
	if (opens++ > 0) {
		pthread_mutex_unlock(&mu);
		free(state);
		free(logs);
		free(path);
		return;
	}
	if ((mkdir(state, 0755) == 0 || errno == EEXIST) &&
	    (mkdir(logs, 0755) == 0 || errno == EEXIST))
		logfile = fopen(path, "a");
	if (!logfile)
		warning("cannot open log '%s':", path);
	rotation_open(path);
	pthread_mutex_unlock(&mu);
	free(state);
	free(logs);
	free(path);
}

void
log_close(void)
{
	pthread_mutex_lock(&mu);
	if (opens > 0 && --opens == 0) {
		if (logfile)
			fclose(logfile);
		logfile = NULL;
		rotation_close();
	}
	pthread_mutex_unlock(&mu);
}

void
log_set_listener(log_listener fn, void *arg)
{
	pthread_mutex_lock(&mu);
	listener = fn;
	listener_arg = arg;
	pthread_mutex_unlock(&mu);
}

void
log_rows(const char *target, long long run_id, long long rows)
{
	pthread_mutex_lock(&mu);
	if (listener)
		listener(listener_arg, LOG_INFO, "rows", target, run_id, rows, "");
	pthread_mutex_unlock(&mu);
}

static void
clear_line(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
}

static void
write_json(enum log_level lvl, const char *event, const char *target, long long run_id,
           const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[64];
	json_t *o;
	char *line;

	if (!logfile)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%06ldZ", ts.tv_nsec / 1000);
	o = json_object();
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "level", json_string(levels[lvl]));
	json_object_set_new(o, "event", json_string(event));
	if (target)
		json_object_set_new(o, "target", json_string(target));
	if (run_id > 0)
		json_object_set_new(o, "run_id", json_integer(run_id));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "message", json_string(msg));
	line = json_dumps(o, JSON_COMPACT);
	if (line) {
		if (lockfd >= 0)
			flock(lockfd, LOCK_EX);
		rotation_check(strlen(line) + 1);
		fprintf(logfile, "%s\n", line);
		fflush(logfile);
		if (lockfd >= 0)
			flock(lockfd, LOCK_UN);
	}
	free(line);
	json_decref(o);
}

void
log_event(enum log_level lvl, const char *event, const char *target, long long run_id,
          const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (lvl == LOG_DEBUG && !log_debug_enabled())
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&mu);
	write_json(lvl, event, target, run_id, msg);
	if (listener)
		listener(listener_arg, lvl, event, target, run_id, -1, msg);
	clear_line();
	if (lvl >= LOG_WARN)
		fprintf(stderr, "%s\n", msg);
	else if (!quiet && (lvl == LOG_INFO || log_debug_enabled())) {
		fprintf(stdout, "%s\n", msg);
		fflush(stdout);
	}
	pthread_mutex_unlock(&mu);
	free(msg);
}

void
log_statement(const char *conn, const char *sql)
{
	if (!log_debug_enabled())
		return;
	pthread_mutex_lock(&mu);
	write_json(LOG_DEBUG, "statement", NULL, 0, sql);
	if (conn) {
		clear_line();
		fprintf(stderr, "[%s] %s\n", conn, sql);
	}
	pthread_mutex_unlock(&mu);
}

/*
 * cut s to one character less than the terminal's width: a line that wraps
 * cannot be rewritten in place; characters are counted as UTF-8, control
 * characters end it
 */
static void
cut_to_width(char *s)
{
	struct winsize ws;
	size_t cols = 80, n = 0;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		cols = ws.ws_col;
	for (char *p = s; *p; p++) {
		if ((unsigned char)*p < ' ') {
			*p = '\0';
			return;
		}
		if ((*p & 0xc0) == 0x80)
			continue;
		if (++n == cols) {
			*p = '\0';
			return;
		}
	}
}

void
log_progress(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (quiet || !isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cut_to_width(msg);
	pthread_mutex_lock(&mu);
	fprintf(stderr, "\r\033[K%s", msg);
	fflush(stderr);
	progress_shown = true;
	pthread_mutex_unlock(&mu);
	free(msg);
}

void
log_progress_clear(void)
{
	pthread_mutex_lock(&mu);
	clear_line();
	pthread_mutex_unlock(&mu);
}
