/* env.h: variables of recipes and SQL, from the environment and .env */
#ifndef CHACC_ENV_H
#define CHACC_ENV_H

#include <stdbool.h>

/*
 * expand ${VAR} and ${VAR:-default} in text from the environment and .env,
 * leaving runtime placeholders (${this}, ${since}, ${run_id}, ${conn.*}) as
 * written, and "$$" too. Returns malloc'ed text, or NULL with the unset name
 * in *unset (malloc'ed; unset may be NULL).
 */
char *env_expand(const char *text, char **unset);
/*
 * for commands that connect to nothing (graph, config, review): an unset
 * ${VAR} expands to nothing instead of being an error, so that they run
 * without the credentials a recipe reads from the environment
 */
void env_allow_unset(bool on);
/*
 * load the KEY=VALUE lines of workdir/.env and recipedir/.env (may be NULL) as
 * fallbacks for getenv; for a name in both, workdir's wins. Once per pair of
 * directories; workdir NULL keeps what is loaded.
 */
void env_load_dotenvs(const char *workdir, const char *recipedir);
/* the same for dir/.env alone */
void env_load_dotenv(const char *dir);
/* getenv, then the .env files */
const char *env_get(const char *name);
/*
 * call fn with each name set in the .env files env_get reads (in the order
 * read, once per line: a name of both files comes twice), so that a caller
 * can say which settings it ignores
 */
void env_dotenv_names(void (*fn)(void *arg, const char *name), void *arg);
/*
 * where env_get looks, for messages: "the environment, .env or recipes/.env"
 * (malloc'ed)
 */
char *env_sources(void);
/* c may stand in a variable's name: letters, digits, '_' */
bool env_namechar(int c);

#endif
