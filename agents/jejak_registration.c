/*  jejak_registration.c - jejak-registration, the office program for
   registration events: the shared agent command line (agent_main.c) for its
   domain. */
#include "jk_agent.h"
#include "jk_version.h"

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-registration", stdout);
        return 0;
    }
    return jk_agent_main (JK_DOMAIN_REGISTRATION, argc, argv);
}
