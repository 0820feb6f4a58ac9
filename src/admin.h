/* admin: the offline `dialconf admin` verbs (admin.c). */
#ifndef DIALCONF_ADMIN_H
#define DIALCONF_ADMIN_H

/* `dialconf admin ...` with argv[0] "admin": the exit code. */
int admin_main(int argc, char **argv);

#endif
