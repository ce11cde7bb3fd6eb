/*  test_slow_federation_sim.c - the province simulation at full size on
    this machine: the 27 kabupaten and kota of Jawa Barat as regency hubs,
    their 627 kecamatan offices, one province receiving every link; a hub
    killed -9 and a link cut during the live phase; a simulated outage
    and the catch-up after it. Prints the figures docs/FEDERATION.md
    quotes. JEJAK_SIM_EVENTS sets the events per regency (default 3,000: a
    third live, the rest during the outage; any size, the generator keeps
    as many sources as the regency's offices need). */
#include "federation_sim.h"

static void test_jawa_barat (void **state)
{
    (void)state;
    const char *text = getenv ("JEJAK_SIM_EVENTS");
    int events = text ? atoi (text) : 3000;
    if (events < 60)
        events = 60;
    sim_config_t config = {.regencies = 27,
                           .live = events / 3,
                           .outage = events - events / 3,
                           .batch = 20};
    sim_run (&config);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_jawa_barat),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
