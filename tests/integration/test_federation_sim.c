/*  test_federation_sim.c - the province simulation, small: three regency
    hubs of Jawa Barat with all their kecamatan offices, one province,
    a hub killed -9 and a link cut during the live phase, an outage and
    its catch-up; every copy verifies and equals its regency's log. The
    full size (27 hubs, 627 offices) is test_slow_federation_sim. */
#include "federation_sim.h"

static void test_small_province (void **state)
{
    (void)state;
    sim_config_t config = {
        .regencies = 3, .live = 600, .outage = 900, .batch = 20};
    sim_run (&config);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_small_province),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
