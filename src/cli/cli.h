/* cli: the dialconf administrative subcommands, clients of the REST API
 * (DIALCONF_URL, default http://127.0.0.1:8080; DIALCONF_TOKEN). */
#ifndef DIALCONF_CLI_CLI_H
#define DIALCONF_CLI_CLI_H

/* Run the verb in argv[0] ("user", "number", ...). Returns the process exit
 * code: 0 success, 1 operation failed, 2 usage error. */
int cli_main(int argc, char **argv);

#endif
