/* log.h: what a run tells the user (terminal) and the JSON-lines log (state/logs/) */
#ifndef CHACC_LOG_H
#define CHACC_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/*
 * open state/logs/chacc.jsonl under dir (creating it); quiet hides the info
 * lines and the progress line of the calling thread (log_set_quiet). Opens
 * nest: the log closes with the last log_close(). The log rotates by size
 * (CHACC_LOG_MAX_SIZE, CHACC_LOG_KEEP: see log.c), safely when several
 * processes append to it.
 */
void log_open(const char *dir, bool quiet);
void log_close(void);
/*
 * hide (or show) info lines on stdout and the progress line for events sent
 * from the calling thread: quiet is per run, and a run's workers take their
 * run's setting, so that one quiet run does not silence another in the same
 * process; warnings and errors always show, and the log file gets everything
 */
void log_set_quiet(bool quiet);
bool log_quiet(void);
/* LOG_LEVEL or LUIGI_LOG_LEVEL (the environment, then .env) is DEBUG */
bool log_debug_enabled(void);
/* read the level again, as the .env files now loaded say */
void log_read_level(void);

/* one event: a JSON line in the log; printed on stdout (info) or stderr (warn, error) */
void log_event(enum log_level lvl, const char *event, const char *target, long long run_id,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* one statement sent to a server, logged at DEBUG (never its parameters' secrets) */
void log_statement(const char *conn, const char *sql);

/*
 * a listener sees every event (and rows-so-far updates as event "rows",
 * with the count in rows) from whichever thread sends it; the web UI's
 * server-sent events come from here. It runs under the log lock: it must
 * not log. One listener; NULL removes it.
 */
typedef void (*log_listener)(void *arg, enum log_level lvl, const char *event,
                             const char *target, long long run_id, long long rows,
                             const char *msg);
void log_set_listener(log_listener fn, void *arg);
/* rows read so far by a running target: for listeners only */
void log_rows(const char *target, long long run_id, long long rows);

/* the one-line progress display on a terminal: set, or clear with NULL */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_clear(void);

#endif
