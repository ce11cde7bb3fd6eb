/*  jejak_registration.c - jejak-registration, the office program for
   registration events: the shared agent command line (agent_main.c) for its
   domain. */
#include "jk_agent.h"

int main (int argc, char **argv)
{
    return jk_agent_main (JK_DOMAIN_REGISTRATION, argc, argv);
}
