/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for gw/route: the input is split at the first NUL
 * into a route configuration and a called/calling number pair; every
 * accepted table is looked up with the numbers in both directions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw/conf.h"
#include "gw/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_conf *conf = NULL;
	struct gw_conf_err err;
	struct gw_route_table *t = NULL;
	char *buf, *nums, *calling;

	if (size > 16384)
		return 0;
	buf = malloc(size + 2);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	nums = buf + strlen(buf) + 1;
	if (nums > buf + size)
		nums = buf + size;
	calling = strchr(nums, ' ');
	if (calling)
		*calling++ = '\0';
	if (gw_conf_load_str(&conf, "f.conf", buf, &err) == 0) {
		if (gw_route_table_conf(&t, conf, &err) == 0) {
			for (int d = 0; d < 2; d++) {
				struct gw_route_req req = {
					.dir = (enum gw_route_dir)d, .called = nums,
					.calling = calling, .src_trunk = "pbx",
					.src_span = 1, .called_ton = GW_TON_NATIONAL,
					.now = 1700000000,
				};
				struct gw_route_result res;
				if (gw_route_lookup(t, &req, &res) == 0)
					gw_route_failover(&res, 503, 34, d);
			}
			gw_route_table_free(t);
		}
		gw_conf_free(conf);
	}
	free(buf);
	return 0;
}
