/* pausetest.h: builds paused at a fault point (CHACC_PAUSE), and the text they print */
#ifndef CHACC_PAUSETEST_H
#define CHACC_PAUSETEST_H

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

/* wait up to secs for fd's text to hold needle */
static inline bool
wait_text(int fd, const char *needle, double secs)
{
	double until = mono_seconds() + secs;

	for (;;) {
		char *t = fd_text(fd);
		bool found = strstr(t, needle) != NULL;

		free(t);
		if (found || mono_seconds() > until)
			return found;
		usleep(20000);
	}
}

/* a build paused by CHACC_PAUSE=point: its pid, once it waits there */
struct paused {
	pid_t pid;
	int out, err;
	char file[PATH_MAX + 16];
	char pause[128], pause_file[PATH_MAX + 48];
};

/* the same, its pause file named name in the project: for two builds paused at once */
static inline void
start_paused_as(struct proj *p, struct paused *b, const char *name, const char *point,
                char *const args[])
{
	const char *env[3];
	double until = mono_seconds() + 60;

	snprintf(b->file, sizeof(b->file), "%s/%s", p->dir, name);
	snprintf(b->pause, sizeof(b->pause), "CHACC_PAUSE=%s", point);
	snprintf(b->pause_file, sizeof(b->pause_file), "CHACC_PAUSE_FILE=%s", b->file);
	env[0] = b->pause;
	env[1] = b->pause_file;
	env[2] = NULL;
	b->pid = chacc_start_envs(p, env, &b->out, &b->err, args);
	while (access(b->file, F_OK) != 0) {
		char *err = fd_text(b->err);

		ck_assert_msg(waitpid(b->pid, NULL, WNOHANG) == 0, "the build ended: %s", err);
		ck_assert_msg(mono_seconds() < until, "the build never paused at '%s': %s", point, err);
		free(err);
		usleep(20000);
	}
}

static inline void
start_paused(struct proj *p, struct paused *b, const char *point, char *const args[])
{
	start_paused_as(p, b, "paused", point, args);
}

/* go on from the pause; the build's exit status, stdout and stderr */
static inline struct result
resume(struct paused *b)
{
	struct result r;

	unlink(b->file);
	r.status = wait_status(b->pid);
	r.out = slurp_fd(b->out);
	r.err = slurp_fd(b->err);
	return r;
}

#endif
